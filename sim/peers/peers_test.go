package peers

import (
	"errors"
	"strconv"
	"testing"
)

func skipUnavailable(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("peer not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestLookPathMissingIsUnavailable(t *testing.T) {
	_, err := lookPath("vsslab-no-such-binary", "nothing")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v", err)
	}
}

func TestFreePortIsFree(t *testing.T) {
	p, err := FreePort()
	if err != nil || p == 0 || tcpUp("127.0.0.1:"+itoa(p)) {
		t.Fatalf("port %d err %v", p, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
