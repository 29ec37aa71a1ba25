// Command gencmd captures redis-server's own COMMAND INFO and COMMAND DOCS
// replies for the commands raftcache serves, so that resp can answer COMMAND
// byte-for-byte as Redis 7 does without hand-copying Redis's key specs.
//
// It starts a throwaway redis-server (which must be on PATH) and writes
// commandinfo.resp and commanddocs.resp into the current directory:
//
//	go generate ./resp/
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// commands lists what raftcache serves; keep it in step with resp's
// connection commands and fsm's data commands.
var commands = []string{
	// fsm's data commands.
	"get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex",
	"del", "unlink", "exists", "mget", "mset", "msetnx",
	"incr", "decr", "incrby", "decrby", "incrbyfloat",
	"append", "strlen", "getrange", "setrange",
	"dbsize", "flushall", "flushdb", "type", "ttl", "pttl",
	"expiretime", "pexpiretime", "expire", "pexpire", "expireat", "pexpireat",
	"persist", "touch", "rename", "renamenx", "copy", "substr",
	"hset", "hmset", "hsetnx", "hget", "hmget", "hgetall", "hdel", "hexists",
	"hlen", "hstrlen", "hincrby", "hincrbyfloat", "hkeys", "hvals", "hscan",
	"keys", "scan", "randomkey",
	// resp's connection commands.
	"ping", "echo", "quit", "command", "info",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gencmd:", err)
		os.Exit(1)
	}
}

func run() error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := lis.Addr().(*net.TCPAddr).Port
	lis.Close()
	srv := exec.Command("redis-server", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()

	var conn net.Conn
	for i := 0; i < 100; i++ {
		conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("dial redis-server: %w", err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	for _, sub := range []string{"INFO", "DOCS"} {
		args := append([]string{"COMMAND", sub}, commands...)
		var req bytes.Buffer
		fmt.Fprintf(&req, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write(req.Bytes()); err != nil {
			return err
		}
		var reply bytes.Buffer
		if err := copyValue(&reply, rd); err != nil {
			return fmt.Errorf("read COMMAND %s reply: %w", sub, err)
		}
		name := "command" + strings.ToLower(sub) + ".resp"
		if err := os.WriteFile(name, reply.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copyValue copies one RESP2 value from rd to w.
func copyValue(w io.Writer, rd *bufio.Reader) error {
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return err
	}
	w.Write(line)
	if len(line) < 3 {
		return errors.New("short line")
	}
	n, _ := strconv.Atoi(string(line[1 : len(line)-2]))
	switch line[0] {
	case '*':
		for i := 0; i < n; i++ {
			if err := copyValue(w, rd); err != nil {
				return err
			}
		}
	case '$':
		if n >= 0 {
			_, err := io.CopyN(w, rd, int64(n)+2)
			return err
		}
	}
	return nil
}
