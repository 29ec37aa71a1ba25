// Package list is Redis 7.0's list value: a quicklist, that is a sequence of
// chunks each holding a packed run of elements, so that a list of millions
// of small elements costs about what Redis's does per element and pushes and
// pops at either end stay O(1).
//
// Each chunk's bytes are a run of listpack entries exactly as Redis 7.0
// lays them out (an encoding byte that also carries small integers or a
// string's length, the data, and a backward length so that the run can be
// walked from either end), without the listpack's header and terminator.
// Like Redis, an element that is an integer in canonical decimal form
// ("12", "-7", not "012" or "+7") is stored as a binary integer and turned
// back into the same decimal bytes when read. Because that encoding is a
// function of the element's bytes, two elements are equal exactly when
// their encoded entries are, so searches (LPOS, LREM, LINSERT's pivot)
// compare encoded bytes without decoding.
//
// How many elements a chunk holds is bounded by list-max-listpack-size,
// passed in Limits when the list is made and kept by it (as Redis keeps a
// quicklist's fill): a negative value -1..-5 bounds a chunk's bytes to
// 4 KB..64 KB, a positive one its number of elements (and its bytes to
// 8 KB). Inserts into a full chunk split it, and a chunk that has shrunk is
// merged with a neighbour it now fits with, so a list stays compact after
// removals in the middle.
//
// Clone is O(chunks): the copies share every chunk's bytes, and a chunk
// records which list may write into its buffer; a list writes only into
// chunks it owns and copies any other chunk the first time it changes it.
// Pops and trims never write bytes (they move a chunk's bounds), so they
// copy nothing.
//
// A List is not safe for concurrent use while it is being modified; a
// clone may be read on one goroutine while the original is modified on
// another. The slices an iteration hands its callback are valid only during
// the call; the callback must not modify the list.
package list
