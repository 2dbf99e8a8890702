package notify

import "testing"

func TestSubscribed(t *testing.T) {
	for _, c := range []struct {
		on   []string
		kind string
		want bool
	}{
		{[]string{KindStorageFailure}, KindStorageFailure, true},
		{[]string{KindStorageFailure}, KindStorageRecovered, false},
		{[]string{KindEvents}, KindMotion, true},
		{[]string{KindEvents}, KindStorageFull, false},
		{nil, KindMotion, false},
	} {
		if got := Subscribed(c.on, c.kind); got != c.want {
			t.Errorf("Subscribed(%v, %s) = %v", c.on, c.kind, got)
		}
	}
}

func TestKindDigitsDistinct(t *testing.T) {
	seen := map[int]string{}
	for _, k := range []string{KindStorageFailure, KindStorageRecovered, KindStorageFull, KindMotion, "other"} {
		d := KindDigit(k)
		if prev, ok := seen[d]; ok || d < 1 || d > 9 {
			t.Errorf("%s and %s share digit %d", k, prev, d)
		}
		seen[d] = k
	}
}
