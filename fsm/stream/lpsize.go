package stream

// A model of the byte size of Redis's listpack encoding (listpack.c in 7.0),
// so that nodes fill up exactly when Redis's stream-node-max-bytes check
// would start a new listpack. Only sizes are modelled, nothing is encoded.

const (
	lpHeaderSize = 6 // total bytes (4) + element count (2)
	lpEmptySize  = lpHeaderSize + 1
	// streamListpackMaxSize is STREAM_LISTPACK_MAX_SIZE: the largest node,
	// and the largest total of one entry's fields and values.
	streamListpackMaxSize = 1 << 30
)

// lpBacklenSize is the size of the element-length suffix of an element
// whose encoding+data is l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpIntSize is the encoding+data size of an integer element.
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

// lpIntElem is the whole size of an integer element.
func lpIntElem(v int64) int {
	l := lpIntSize(v)
	return l + lpBacklenSize(l)
}

// lpStrElem is the whole size of a string element; listpack stores strings
// that parse as integers (string2ll) as integers.
func lpStrElem(s []byte) int {
	if v, ok := string2ll(s); ok {
		return lpIntElem(v)
	}
	var l int
	switch n := len(s); {
	case n < 64:
		l = 1 + n
	case n < 4096:
		l = 2 + n
	default:
		l = 5 + n
	}
	return l + lpBacklenSize(l)
}
