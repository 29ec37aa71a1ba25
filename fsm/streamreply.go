package fsm

import (
	"github.com/raftcache/raftcache/fsm/stream"
)

// replyBuf copies the bytes of a reply into one buffer that the reply
// owns. A reply is written after the Store's lock is released, and a
// stream's node bytes may be rewritten by a later write, so a reply never
// aliases them. Slices handed out stay valid when the buffer grows: the
// bytes they see are never written again.
type replyBuf struct{ b []byte }

func (rb *replyBuf) bulk(p []byte) Reply {
	start := len(rb.b)
	rb.b = append(rb.b, p...)
	return Bulk(rb.b[start:len(rb.b):len(rb.b)])
}

func (rb *replyBuf) str(p string) Reply {
	start := len(rb.b)
	rb.b = append(rb.b, p...)
	return Bulk(rb.b[start:len(rb.b):len(rb.b)])
}

func (rb *replyBuf) id(id stream.ID) Reply {
	start := len(rb.b)
	rb.b = id.AppendText(rb.b)
	return Bulk(rb.b[start:len(rb.b):len(rb.b)])
}

// entry is a stream entry as Redis replies it: [id, [field, value, ...]].
func (rb *replyBuf) entry(id stream.ID, fv [][]byte) Reply {
	elems := make([]Reply, len(fv))
	for i, b := range fv {
		elems[i] = rb.bulk(b)
	}
	return Array(rb.id(id), Array(elems...))
}

// rangeReply is streamReplyWithRange without a group: up to count entries
// (0: all) from start to end.
func (rb *replyBuf) rangeReply(s *stream.Stream, start, end stream.ID, count int64, rev bool) Reply {
	var elems []Reply
	s.Range(start, end, rev, func(id stream.ID, fv [][]byte) bool {
		elems = append(elems, rb.entry(id, fv))
		return count <= 0 || int64(len(elems)) < count
	})
	return Array(elems...)
}

// lastLiveID is streamLastValidID: the ID of the last entry, 0-0 if none.
func lastLiveID(s *stream.Stream) stream.ID {
	var last stream.ID
	s.Range(stream.ID{}, stream.MaxID, true, func(id stream.ID, _ [][]byte) bool {
		last = id
		return false
	})
	return last
}

func nilIfEmpty(r Reply) Reply {
	if len(r.Elems) == 0 {
		return Reply{Kind: KindNilArray}
	}
	return r
}
