package cluster

import (
	"errors"
	"testing"
)

func TestJudgeChange(t *testing.T) {
	up := func(ids ...uint64) func(uint64) bool {
		return func(id uint64) bool {
			for _, u := range ids {
				if u == id {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		name   string
		voters []uint64
		op     voterChange
		id     uint64
		active func(uint64) bool
		ready  bool
		want   error
	}{
		{"remove a voter of three, all up", []uint64{1, 2, 3}, dropVoter, 3, up(1, 2, 3), false, nil},
		{"remove the voter that is down", []uint64{1, 2, 3}, dropVoter, 3, up(1, 2), false, nil},
		{"remove a live voter while another is down", []uint64{1, 2, 3}, dropVoter, 2, up(1, 2), false, ErrWouldLoseQuorum},
		{"remove one of two, both up", []uint64{1, 2}, dropVoter, 2, up(1, 2), false, nil},
		{"remove the live one of two", []uint64{1, 2}, dropVoter, 1, up(1), false, ErrWouldLoseQuorum},
		{"remove the last voter", []uint64{1}, dropVoter, 1, up(1), false, ErrLastVoter},
		{"remove a learner", []uint64{1}, dropVoter, 9, up(1), false, nil},
		{"remove a learner with quorum already lost", []uint64{1, 2, 3}, dropVoter, 9, up(1), false, nil},
		{"five voters, two down, remove a down one", []uint64{1, 2, 3, 4, 5}, dropVoter, 5, up(1, 2, 3), false, nil},
		{"five voters, two down, remove a live one", []uint64{1, 2, 3, 4, 5}, dropVoter, 3, up(1, 2, 3), false, ErrWouldLoseQuorum},
		{"promote a ready learner", []uint64{1}, addVoter, 2, up(1, 2), true, nil},
		{"promote a learner that is behind", []uint64{1}, addVoter, 2, up(1, 2), false, ErrLearnerNotReady},
		{"promote a learner that is down", []uint64{1, 2, 3}, addVoter, 4, up(1, 2, 3), true, ErrLearnerNotReady},
		{"promote while a voter is down: 2 of 3 up still a quorum", []uint64{1, 2}, addVoter, 3, up(1, 3), true, nil},
		{"promote would make the active voters a minority", []uint64{1, 2, 3}, addVoter, 4, up(1, 4), true, ErrWouldLoseQuorum},
		{"promote a voter: nothing to do", []uint64{1, 2}, addVoter, 2, up(1), false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := judgeChange(tc.voters, tc.op, tc.id, tc.active, tc.ready)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("judgeChange(%v, %v, %d) = %v, want %v", tc.voters, tc.op, tc.id, err, tc.want)
			}
		})
	}
}

func TestLearnerReady(t *testing.T) {
	for _, tc := range []struct {
		match, lead uint64
		want        bool
	}{
		{0, 0, false}, {0, 10, false}, {9, 10, true}, {8, 10, false},
		{900, 1000, true}, {899, 1000, false}, {1000, 1000, true},
	} {
		if got := learnerReady(tc.match, tc.lead); got != tc.want {
			t.Errorf("learnerReady(%d, %d) = %v, want %v", tc.match, tc.lead, got, tc.want)
		}
	}
}
