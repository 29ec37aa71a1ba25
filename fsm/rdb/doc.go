// Package rdb reads and writes one value in Redis's RDB serialization, as
// Redis 7.0's DUMP writes it and its RESTORE reads it: a type byte, the
// object, the RDB version (2 bytes, little-endian) and a CRC-64 of all that
// (8 bytes, little-endian). The package knows nothing of keys, expiry or
// fsm's value types: a Value is a neutral description of one object, which
// fsm builds from its values for DUMP and turns into them for RESTORE.
//
// Encode writes what Redis 7.0 writes for the same value in the same
// encoding, byte for byte: strings as integers when they are small
// canonical integers, LZF-compressed when longer than 20 bytes and
// compression saves at least 4 of them (rdbcompression yes), lists as
// quicklist nodes of listpacks, small sets as intsets, small sorted sets
// and hashes as listpacks, streams as listpacks of entries with their
// consumer groups. (Where Redis iterates a hash table, a set or hash in the
// hashtable encoding, its order is its table's, which no other
// implementation reproduces; Encode writes the Value's order.)
//
// Decode reads every encoding Redis 7.0's RESTORE accepts, the older
// ziplist, zipmap and string-score forms included. It checks its input as
// Redis's sanitize-dump-payload yes does, and more: a payload that is not
// one well-formed object gives an error wrapping ErrFormat, never a panic,
// and no length read from the payload allocates more than the payload
// could hold.
package rdb
