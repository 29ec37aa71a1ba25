package cluster

import (
	"errors"
	"fmt"
	"slices"
)

// Errors of the quorum rules (see judgeChange). Both can be overridden
// with Force; ErrLastVoter never can: raft cannot run without a voter.
var (
	ErrWouldLoseQuorum = errors.New("raftcache: change would leave too few active voters for a quorum")
	ErrLearnerNotReady = errors.New("raftcache: learner has not caught up with the leader")
)

// A ChangeOption adjusts a membership change.
type ChangeOption func(*ChangeOptions)

// ChangeOptions are the options a membership change was given.
type ChangeOptions struct {
	// Force skips the quorum rules (see Force).
	Force bool
}

// Force skips the quorum rules (judgeChange) for one change: the operator
// knows the members counted as down will come back, or accepts that the
// cluster stops taking writes until they do.
func Force() ChangeOption { return func(o *ChangeOptions) { o.Force = true } }

// Options returns what opts ask for.
func Options(opts ...ChangeOption) ChangeOptions {
	var o ChangeOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// voterChange is what a change does to the voters.
type voterChange int

const (
	dropVoter voterChange = iota // remove or demote a member
	addVoter                     // promote a learner
)

// learnerReady is etcd's isLearnerReady: a learner may vote once its log
// holds at least 90% of the leader's, so that promoting it does not stall
// commits while it catches up.
func learnerReady(match, leaderMatch uint64) bool {
	return match > 0 && match*10 >= leaderMatch*9
}

// judgeChange applies the quorum rules to a change of member id's vote,
// given the voters now and which members are active (reachable from the
// leader) and, for a promotion, whether id has caught up. It returns nil,
// ErrLastVoter, ErrWouldLoseQuorum or ErrLearnerNotReady. A change that
// does not touch the voters (removing a learner, demoting one) is always
// allowed.
//
// The rule is etcd's strict reconfiguration check: after the change, the
// active voters must still form a quorum of the voters. Removing a voter
// that is down is therefore fine, removing a live one while another is
// down may not be, and promoting a learner that is down or behind counts
// it as a voter that cannot answer.
func judgeChange(voters []uint64, op voterChange, id uint64, active func(uint64) bool, ready bool) error {
	isVoter := slices.Contains(voters, id)
	var after []uint64
	switch op {
	case dropVoter:
		if !isVoter {
			return nil
		}
		for _, v := range voters {
			if v != id {
				after = append(after, v)
			}
		}
		if len(after) == 0 {
			return fmt.Errorf("%w: %s", ErrLastVoter, FormatID(id))
		}
	case addVoter:
		if isVoter {
			return nil
		}
		if !ready || !active(id) {
			return fmt.Errorf("%w: %s", ErrLearnerNotReady, FormatID(id))
		}
		after = append(slices.Clone(voters), id)
	}
	up := 0
	for _, v := range after {
		if active(v) {
			up++
		}
	}
	if need := len(after)/2 + 1; up < need {
		return fmt.Errorf("%w: %d of the %d voters after the change are active, a quorum needs %d", ErrWouldLoseQuorum, up, len(after), need)
	}
	return nil
}
