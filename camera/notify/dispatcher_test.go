package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/sim/clock"
)

// fakeChannel is a test double for Channel: it records each call with the virtual time it came at,
// fails the first fails calls, and, with gate set, blocks each call until released.
type fakeChannel struct {
	clk   Clock
	fails int
	gate  chan struct{}
	got   chan Message

	mu    sync.Mutex
	calls []fakeCall
}

type fakeCall struct {
	at time.Time
	m  Message
}

func newFake(clk Clock, fails int) *fakeChannel {
	return &fakeChannel{clk: clk, fails: fails, got: make(chan Message, 100)}
}

func (f *fakeChannel) Kind() string { return "fake" }

func (f *fakeChannel) Send(ctx context.Context, m Message) error {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{f.clk.Now(), m})
	n := len(f.calls)
	f.mu.Unlock()
	f.got <- m
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if n <= f.fails {
		return errors.New("server down; login user:hunter2 refused")
	}
	return nil
}

func (f *fakeChannel) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Time
	for _, c := range f.calls {
		out = append(out, c.at)
	}
	return out
}

// receive waits for the channel's next call. The deadline only guards against a hang; the test's
// timing is all on the virtual clock.
func receive(t *testing.T, f *fakeChannel) Message {
	t.Helper()
	select {
	case m := <-f.got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("channel was not called")
		return Message{}
	}
}

func noCall(t *testing.T, f *fakeChannel) {
	t.Helper()
	select {
	case m := <-f.got:
		t.Fatalf("unexpected call with %+v", m)
	default:
	}
}

// eventually polls cond (real time, as a hang guard) until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	NewWithT(t).Eventually(cond).WithTimeout(5*time.Second).WithPolling(time.Millisecond).Should(BeTrue(), "waiting for %s", what)
}

// waitPending waits until a goroutine waits on the virtual clock for instant at, so that advancing
// to it is deterministic.
func waitPending(t *testing.T, clk *clock.Virtual, at time.Time) {
	t.Helper()
	eventually(t, "a waiter for "+at.String(), func() bool {
		return slices.ContainsFunc(clk.Pending(), at.Equal)
	})
}

func outcomes(log []Delivery) []string {
	var out []string
	for _, e := range log {
		out = append(out, fmt.Sprintf("%s/%s/%s/%d", e.Channel, e.Kind, e.Outcome, e.Attempt))
	}
	return out
}

func msg(kind, detail string, at time.Time) Message {
	return Message{Camera: "cam-1", Kind: kind, Time: at, Detail: detail}
}

func TestDispatcherRetriesWithExponentialBackoff(t *testing.T) {
	clk := clock.New(clock.Epoch())
	t0 := clk.Now()
	f := newFake(clk, 3)
	d, err := NewDispatcher([]Route{{ID: "mail", On: []string{KindStorageFailure}, Channel: f, Secrets: []string{"hunter2"}}},
		Options{Clock: clk, MaxAttempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	d.Notify(msg(KindStorageFailure, "card removed", t0))
	receive(t, f)
	waitPending(t, clk, t0.Add(time.Second))
	clk.Advance(999 * time.Millisecond)
	noCall(t, f)
	clk.Advance(time.Millisecond)
	receive(t, f)
	waitPending(t, clk, t0.Add(3*time.Second))
	clk.Advance(2 * time.Second)
	receive(t, f)
	waitPending(t, clk, t0.Add(7*time.Second))
	clk.Advance(4 * time.Second)
	receive(t, f)
	eventually(t, "delivered", func() bool { return len(d.Log()) == 4 })

	want := []time.Time{t0, t0.Add(time.Second), t0.Add(3 * time.Second), t0.Add(7 * time.Second)}
	if got := f.times(); !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("attempt times %v, want %v", got, want)
	}
	log := d.Log()
	wantOut := []string{"mail/storage_failure/failed/1", "mail/storage_failure/failed/2", "mail/storage_failure/failed/3", "mail/storage_failure/delivered/4"}
	if !slices.Equal(outcomes(log), wantOut) {
		t.Fatalf("log %v, want %v", outcomes(log), wantOut)
	}
	for _, e := range log[:3] {
		if strings.Contains(e.Error, "hunter2") || !strings.Contains(e.Error, "[redacted]") || !strings.Contains(e.Error, "server down") {
			t.Fatalf("log error %q must keep the text and blank the secret", e.Error)
		}
	}
	if !log[3].Time.Equal(t0.Add(7 * time.Second)) {
		t.Fatalf("delivered at %v", log[3].Time)
	}
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	clk := clock.New(clock.Epoch())
	t0 := clk.Now()
	f := newFake(clk, 100)
	d, err := NewDispatcher([]Route{{ID: "ftp", On: []string{KindStorageFull}, Channel: f}},
		Options{Clock: clk, MaxAttempts: 3, Backoff: 10 * time.Second, MaxBackoff: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Notify(msg(KindStorageFull, "card full", t0))
	receive(t, f)
	waitPending(t, clk, t0.Add(10*time.Second))
	clk.Advance(10 * time.Second)
	receive(t, f)
	// The second backoff would be 20 s; MaxBackoff caps it at 15 s.
	waitPending(t, clk, t0.Add(25*time.Second))
	clk.Advance(15 * time.Second)
	receive(t, f)
	eventually(t, "gave up", func() bool { return len(d.Log()) == 3 })
	want := []string{"ftp/storage_full/failed/1", "ftp/storage_full/failed/2", "ftp/storage_full/gave_up/3"}
	if got := outcomes(d.Log()); !slices.Equal(got, want) {
		t.Fatalf("log %v, want %v", got, want)
	}
	clk.Advance(time.Hour)
	noCall(t, f)
}

func TestDispatcherRateLimitsPerKindAndSummarises(t *testing.T) {
	clk := clock.New(clock.Epoch())
	t0 := clk.Now()
	f := newFake(clk, 0)
	d, err := NewDispatcher([]Route{{ID: "hook", On: []string{KindStorageFailure, KindStorageRecovered}, Channel: f}},
		Options{Clock: clk, RateWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	d.Notify(msg(KindStorageFailure, "first", t0))
	if m := receive(t, f); m.Detail != "first" {
		t.Fatalf("first message %q", m.Detail)
	}
	clk.Advance(10 * time.Second)
	d.Notify(msg(KindStorageFailure, "second", clk.Now()))
	d.Notify(msg(KindStorageFailure, "third", clk.Now()))
	eventually(t, "two suppressed", func() bool { return d.Suppressed() == 2 })
	noCall(t, f)

	// Another kind is not limited by the first kind's window.
	d.Notify(msg(KindStorageRecovered, "card back", clk.Now()))
	if m := receive(t, f); m.Kind != KindStorageRecovered {
		t.Fatalf("got %+v", m)
	}

	waitPending(t, clk, t0.Add(time.Minute))
	clk.Advance(49 * time.Second)
	noCall(t, f)
	clk.Advance(time.Second)
	m := receive(t, f)
	wantDetail := "third (rate limit: 1 earlier storage_failure message(s) since 2026-01-01T08:00:10Z not sent separately)"
	if m.Kind != KindStorageFailure || m.Detail != wantDetail {
		t.Fatalf("released %q, want %q", m.Detail, wantDetail)
	}
	eventually(t, "released delivered", func() bool { return len(d.Log()) == 5 })
	if got := f.times(); !got[2].Equal(t0.Add(time.Minute)) {
		t.Fatalf("released at %v", got[2])
	}
	want := []string{"hook/storage_failure/delivered/1", "hook/storage_failure/suppressed/0", "hook/storage_failure/suppressed/0",
		"hook/storage_recovered/delivered/1", "hook/storage_failure/delivered/1"}
	if got := outcomes(d.Log()); !slices.Equal(got, want) {
		t.Fatalf("log %v, want %v", got, want)
	}
}

func TestDispatcherNeverBlocksAndDropsOldest(t *testing.T) {
	clk := clock.New(clock.Epoch())
	f := newFake(clk, 0)
	f.gate = make(chan struct{})
	d, err := NewDispatcher([]Route{{ID: "sip", On: []string{KindEvents}, Channel: f}},
		Options{Clock: clk, QueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Notify(msg("m1", "1", clk.Now()))
	receive(t, f) // the worker is now inside Send, blocked on the gate
	for _, k := range []string{"m2", "m3", "m4"} {
		d.Notify(msg(k, k, clk.Now())) // returns although the channel is stuck
	}
	if d.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", d.Dropped())
	}
	close(f.gate)
	if a, b := receive(t, f), receive(t, f); a.Kind != "m3" || b.Kind != "m4" {
		t.Fatalf("after the drop got %s, %s; want m3, m4", a.Kind, b.Kind)
	}
	eventually(t, "all delivered", func() bool { return len(d.Log()) == 4 })
	want := []string{"sip/m2/dropped/0", "sip/m1/delivered/1", "sip/m3/delivered/1", "sip/m4/delivered/1"}
	if got := outcomes(d.Log()); !slices.Equal(got, want) {
		t.Fatalf("log %v, want %v", got, want)
	}
}

func TestDispatcherRoutesBySubscription(t *testing.T) {
	clk := clock.New(clock.Epoch())
	storage, events := newFake(clk, 0), newFake(clk, 0)
	d, err := NewDispatcher([]Route{
		{ID: "a", On: []string{KindStorageFailure}, Channel: storage},
		{ID: "b", On: []string{KindEvents}, Channel: events},
	}, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Notify(msg(KindMotion, "", clk.Now()))
	d.Notify(msg(KindStorageFull, "", clk.Now()))
	d.Notify(msg(KindStorageFailure, "", clk.Now()))
	if m := receive(t, storage); m.Kind != KindStorageFailure {
		t.Fatalf("storage route got %s", m.Kind)
	}
	if m := receive(t, events); m.Kind != KindMotion {
		t.Fatalf("events route got %s", m.Kind)
	}
	eventually(t, "both delivered", func() bool { return len(d.Log()) == 2 })
	noCall(t, storage)
	noCall(t, events)
}

func TestDispatcherCloseStopsDeliveries(t *testing.T) {
	clk := clock.New(clock.Epoch())
	f := newFake(clk, 0)
	f.gate = make(chan struct{}) // never opened: the channel only returns when its context ends
	d, err := NewDispatcher([]Route{{ID: "x", On: []string{KindStorageFailure}, Channel: f}}, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify(msg(KindStorageFailure, "", clk.Now()))
	receive(t, f)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(d.Log()); !slices.Equal(got, []string{"x/storage_failure/gave_up/1"}) {
		t.Fatalf("log %v", got)
	}
	d.Notify(msg(KindStorageFailure, "", clk.Now()))
	noCall(t, f)
}

func TestDispatcherAttemptTimeoutOnClock(t *testing.T) {
	clk := clock.New(clock.Epoch())
	t0 := clk.Now()
	f := newFake(clk, 0)
	f.gate = make(chan struct{})
	d, err := NewDispatcher([]Route{{ID: "x", On: []string{KindStorageFailure}, Channel: f}},
		Options{Clock: clk, MaxAttempts: 1, AttemptTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Notify(msg(KindStorageFailure, "", t0))
	receive(t, f)
	waitPending(t, clk, t0.Add(30*time.Second))
	clk.Advance(30 * time.Second)
	eventually(t, "timed out", func() bool { return len(d.Log()) == 1 })
	if e := d.Log()[0]; e.Outcome != GaveUp || !strings.Contains(e.Error, "longer than 30s") {
		t.Fatalf("log %+v", e)
	}
}

func TestNewDispatcherValidates(t *testing.T) {
	clk := clock.New(clock.Epoch())
	f := newFake(clk, 0)
	for name, tc := range map[string]struct {
		routes []Route
		opts   Options
	}{
		"no clock":     {nil, Options{}},
		"empty id":     {[]Route{{Channel: f}}, Options{Clock: clk}},
		"repeated id":  {[]Route{{ID: "a", Channel: f}, {ID: "a", Channel: f}}, Options{Clock: clk}},
		"no channel":   {[]Route{{ID: "a"}}, Options{Clock: clk}},
		"neg backoff":  {nil, Options{Clock: clk, Backoff: -1}},
		"max < first":  {nil, Options{Clock: clk, Backoff: time.Minute, MaxBackoff: time.Second}},
		"neg attempts": {nil, Options{Clock: clk, MaxAttempts: -1}},
	} {
		if _, err := NewDispatcher(tc.routes, tc.opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
