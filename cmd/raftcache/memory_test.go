package main

import "testing"

func TestQuietSpell(t *testing.T) {
	tests := []struct {
		name   string
		cycles []uint64 // the count of collections at each check
		want   []int    // the checks that release (0-based)
	}{
		{"no collection ever: nothing to release", []uint64{0, 0, 0, 0, 0}, nil},
		{"busy, then quiet", []uint64{1, 2, 3, 3, 3, 3, 3}, []int{4}},
		{"never quiet", []uint64{1, 2, 3, 4, 5, 6}, nil},
		{"quiet for one check only", []uint64{1, 1, 2, 2, 3}, nil},
		{"two busy spells", []uint64{1, 1, 1, 1, 5, 6, 6, 6, 6}, []int{2, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q quietSpell
			var got []int
			for i, c := range tt.cycles {
				if q.tick(c) {
					got = append(got, i)
					// The release's own collection, seen at the next check
					// as the count the check reads.
					q.released(c)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("released at checks %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("released at checks %v, want %v", got, tt.want)
				}
			}
		})
	}
}
