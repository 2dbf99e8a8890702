package notify

import (
	"errors"
	"testing"
	"time"

	"vsslab/sim/peers"
)

// skipUnavailable skips a test whose real peer cannot run here, saying why; any other error fails.
func skipUnavailable(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, peers.ErrUnavailable) {
		t.Skipf("real peer not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// fakeJPEG is a small byte string with JPEG markers; the channels carry it opaquely.
var fakeJPEG = []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 3, 0xff, 0xd9}

func storageMessage() Message {
	return Message{Camera: "cam-7 SN0042", Kind: KindStorageFailure,
		Time: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Detail: "card removed", Image: fakeJPEG}
}
