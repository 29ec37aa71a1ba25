package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
)

func TestZapLoggerAtDropsEntriesBelowItsLevel(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	zl := newZapLoggerAt(log, zapcore.ErrorLevel)
	zl.Warn("a warning")
	zl.Error("an error")
	if strings.Contains(buf.String(), "a warning") {
		t.Errorf("warning written below the logger's level:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "an error") {
		t.Errorf("error not written:\n%s", buf.String())
	}
	// A handler quieter than the logger's level still wins.
	buf.Reset()
	quiet := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError + 4}))
	newZapLoggerAt(quiet, zapcore.ErrorLevel).Error("dropped")
	if buf.Len() != 0 {
		t.Errorf("written past a quieter handler: %s", buf.String())
	}
}
