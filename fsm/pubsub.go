package fsm

// PUBLISH and SPUBLISH go through the log, so that every node delivers a
// message to its own subscribers in the same order, after the writes the
// log applied before it. Apply changes no state: it hands the message to
// the Effects sink (see effects.go) and replies KindPublished, which the
// proposing node turns into the number of its subscribers that received
// the message. Subscriptions are per connection and live in the front
// door, not here.

const (
	opPublish opcode = 576 // args: channel, message; flagShardedPublish: SPUBLISH
)

// flagShardedPublish marks SPUBLISH, whose message goes to the shard
// channel's subscribers (SSUBSCRIBE) only.
const flagShardedPublish = flagNX

func pubsubTable() table {
	return table{
		commands: []parser{
			{"publish", 3, keyArgs(opPublish, 0)},
			{"spublish", 3, keyArgs(opPublish, flagShardedPublish)},
		},
		ops: []opDef{
			{op: opPublish, opShape: opShape{name: "publish", write: true, minArgs: 2, maxArgs: 2},
				apply: (*writer).publish, keys: noKeys},
		},
	}
}

func (w *writer) publish(c Command) Reply {
	seq := w.s.notePublished(c.args[0], c.args[1], c.flags&flagShardedPublish != 0)
	return Reply{Kind: KindPublished, Int: seq}
}
