package rdb

import (
	"encoding/binary"
	"errors"
	"hash/crc64"
)

// Version is the RDB version Redis 7.0 writes (RDB_VERSION), and the
// newest its RESTORE reads.
const Version = 10

// Errors. A payload whose trailer is wrong is ErrPayload; one whose trailer
// is right but whose object is not well formed wraps ErrFormat.
var (
	ErrPayload = errors.New("rdb: DUMP payload version or checksum are wrong")
	ErrFormat  = errors.New("rdb: bad data format")
)

// jones is the table of Redis's crc64 (crc64.c): the Jones polynomial,
// reflected, as Go's tables are.
var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 is Redis's crc64(0, b, len(b)): without the initial and final
// inversions that Go's crc64.Update applies, which are undone around it.
func CRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), jones, b) }

// Seal appends the DUMP trailer to an object: the version and the CRC-64
// of everything before it.
func Seal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(b))
}

// Verify is Redis's verifyDumpPayload: the payload ends with a version
// Redis 7.0 reads and the CRC-64 of the bytes before the checksum. It
// returns the object, without its trailer.
func Verify(p []byte) ([]byte, error) {
	if len(p) < 10 {
		return nil, ErrPayload
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return nil, ErrPayload
	}
	if binary.LittleEndian.Uint64(footer[2:]) != CRC64(p[:len(p)-8]) {
		return nil, ErrPayload
	}
	return p[:len(p)-10], nil
}
