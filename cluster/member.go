package cluster

import (
	"errors"
	"strconv"
	"time"
)

// Errors returned by Node methods. Front doors map them to protocol errors:
// ErrNoLeader and ErrProposalDropped mean the write definitely did not
// happen; ErrOutcomeUnknown means it may or may not have.
var (
	ErrStopped         = errors.New("raftcache: node stopped")
	ErrRemoved         = errors.New("raftcache: node removed from the cluster")
	ErrNoLeader        = errors.New("raftcache: no leader")
	ErrProposalDropped = errors.New("raftcache: proposal dropped")
	ErrOutcomeUnknown  = errors.New("raftcache: outcome unknown")
	ErrUnknownMember   = errors.New("raftcache: unknown member")
	ErrLastVoter       = errors.New("raftcache: refusing to remove the last voter")
	ErrNotVoter        = errors.New("raftcache: member is not a voter")
	ErrIDTaken         = errors.New("raftcache: member ID taken")
	ErrAddrTaken       = errors.New("raftcache: raft address taken")
	// ErrStorage: writing or syncing the WAL failed. The node stops, as
	// nothing it wrote afterwards could be trusted.
	ErrStorage = errors.New("raftcache: storage failure")
)

// Role is a member's part in the cluster.
type Role string

// Roles as shown in member lists.
const (
	RoleLeader   Role = "leader"
	RoleFollower Role = "follower"
	RoleLearner  Role = "learner"
)

// Member is one node of the cluster as the member list shows it.
type Member struct {
	ID       uint64
	RaftAddr string // where peers reach its raft transport
	APIAddr  string // its HTTP admin API
	RESPAddr string // its Redis protocol listener
	Role     Role
	Voter    bool
	// KeepLearner: a learner the operator keeps (added or demoted as
	// one); other learners are promoted once caught up.
	KeepLearner bool
	// AwaitingJoin: added by address (AddMemberAt); no node has joined
	// as it yet.
	AwaitingJoin bool
	Reachable    bool   // as seen by the leader (or by this node when the leader cannot be asked)
	Match        uint64 // highest log index known to be replicated to it (leader's view; 0 if unknown)
}

// FormatID returns id as raftcache shows it: 16 lower-case hex digits.
func FormatID(id uint64) string {
	s := strconv.FormatUint(id, 16)
	for len(s) < 16 {
		s = "0" + s
	}
	return s
}

// ParseID parses an ID written by FormatID (any hex, up to 16 digits).
func ParseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 16, 64)
	if err != nil || id == 0 {
		return 0, errors.New("raftcache: malformed member id " + strconv.Quote(s))
	}
	return id, nil
}

// Status is a snapshot of this node's raft state, for INFO and logs.
type Status struct {
	ID      uint64
	Role    Role
	Term    uint64
	Leader  uint64 // 0 when no leader is known
	Commit  uint64
	Applied uint64
	Members int

	// Snapshots, for INFO persistence: the index of the newest durable
	// one, whether one is being written, and when the last one written by
	// this node finished, how long it took and whether it failed.
	SnapshotIndex     uint64
	Snapshotting      bool
	Snapshots         uint64 // written by this node since it started
	LastSnapshotAt    time.Time
	LastSnapshotTook  time.Duration
	LastSnapshotError bool
}
