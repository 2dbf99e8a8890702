package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Route is one configured channel: its id (as in notify.channels), the kinds it subscribes to, the
// channel, and the secrets its errors must never show (the dispatcher blanks them in the log).
type Route struct {
	ID      string
	On      []string
	Channel Channel
	Secrets []string
}

// Options tune a Dispatcher. Zero fields take the defaults named on each.
type Options struct {
	// Clock times backoff and rate limits (required).
	Clock Clock
	// QueueSize bounds each channel's queue; when full, the oldest message is dropped (default 32).
	QueueSize int
	// MaxAttempts is how many times a message is tried on a channel (default 5).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles after each further failure
	// (default 1 s), up to MaxBackoff (default 5 min).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// RateWindow is the shortest time between two messages of one kind on one channel (default
	// 1 min). Messages inside the window are held back and counted; the latest of them is sent,
	// with the count, when the window ends, so the last word a person gets is the current state.
	RateWindow time.Duration
	// AttemptTimeout, when set, bounds one attempt on Clock; channels have network timeouts of
	// their own, so the default is none.
	AttemptTimeout time.Duration
	// LogSize bounds the delivery log; older entries are discarded (default 1000).
	LogSize int
}

// Outcome is what happened to a message on a channel.
type Outcome string

// Outcomes in the delivery log.
const (
	Delivered  Outcome = "delivered"  // the channel accepted the message
	Failed     Outcome = "failed"     // an attempt failed; another follows after the backoff
	GaveUp     Outcome = "gave_up"    // the last attempt failed, or the dispatcher closed
	Suppressed Outcome = "suppressed" // held back by the rate limit; counted in a later message
	Dropped    Outcome = "dropped"    // pushed out of a full queue by a newer message
)

// Delivery is one entry of the delivery log.
type Delivery struct {
	Time    time.Time // on the dispatcher's clock
	Channel string    // the route id
	Kind    string
	Outcome Outcome
	Attempt int    // 1-based; 0 for suppressed and dropped
	Error   string // the channel's error with the route's secrets blanked
}

// Dispatcher queues messages and delivers each to every subscribed channel on the channel's own
// goroutine, so a phone call that rings for 30 s does not hold up the e-mail.
type Dispatcher struct {
	opts    Options
	workers []*worker
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once

	mu         sync.Mutex
	log        []Delivery
	dropped    uint64
	suppressed uint64
	closed     bool
}

// NewDispatcher checks routes and opts and starts one goroutine per route.
func NewDispatcher(routes []Route, opts Options) (*Dispatcher, error) {
	if opts.Clock == nil {
		return nil, errors.New("notify dispatcher: a clock is required")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opts.QueueSize, 32)
	def(&opts.MaxAttempts, 5)
	def(&opts.LogSize, 1000)
	defd(&opts.Backoff, time.Second)
	defd(&opts.MaxBackoff, 5*time.Minute)
	defd(&opts.RateWindow, time.Minute)
	if opts.QueueSize < 0 || opts.MaxAttempts < 0 || opts.LogSize < 0 || opts.Backoff < 0 ||
		opts.MaxBackoff < opts.Backoff || opts.RateWindow < 0 || opts.AttemptTimeout < 0 {
		return nil, fmt.Errorf("notify dispatcher: negative or inconsistent option in %+v", opts)
	}
	seen := map[string]bool{}
	for i, r := range routes {
		if r.ID == "" || seen[r.ID] {
			return nil, fmt.Errorf("notify dispatcher: route %d: id %q empty or repeated", i, r.ID)
		}
		if r.Channel == nil {
			return nil, fmt.Errorf("notify dispatcher: route %s: no channel", r.ID)
		}
		seen[r.ID] = true
	}
	d := &Dispatcher{opts: opts}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, r := range routes {
		w := &worker{d: d, r: r, wake: make(chan struct{}, 1), last: map[string]time.Time{}, held: map[string]*held{}}
		d.workers = append(d.workers, w)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			w.run(d.ctx)
		}()
	}
	return d, nil
}

// Notify queues m for every channel subscribed to its kind. It never blocks: a full queue loses its
// oldest message, which is counted and logged.
func (d *Dispatcher) Notify(m Message) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return
	}
	for _, w := range d.workers {
		if Subscribed(w.r.On, m.Kind) {
			w.push(m)
		}
	}
}

// Log returns the delivery log, oldest first.
func (d *Dispatcher) Log() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.log)
}

// Dropped is how many messages full queues have lost.
func (d *Dispatcher) Dropped() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

// Suppressed is how many messages the rate limit has held back.
func (d *Dispatcher) Suppressed() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.suppressed
}

// Close stops the deliveries (a channel in the middle of a send sees its context end) and waits for
// the goroutines. Messages still queued are not sent.
func (d *Dispatcher) Close() error {
	d.once.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.cancel()
		d.wg.Wait()
	})
	return nil
}

func (d *Dispatcher) record(e Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch e.Outcome {
	case Dropped:
		d.dropped++
	case Suppressed:
		d.suppressed++
	}
	if len(d.log) >= d.opts.LogSize {
		d.log = slices.Delete(d.log, 0, len(d.log)-d.opts.LogSize+1)
	}
	d.log = append(d.log, e)
}

// held is what the rate limit holds back for one kind: how many, since when, and the latest.
type held struct {
	count int
	first time.Time
	msg   Message
}

// worker delivers one route's messages in order. Only its goroutine touches last, held and timer*.
type worker struct {
	d    *Dispatcher
	r    Route
	wake chan struct{}

	mu    sync.Mutex
	queue []Message

	last    map[string]time.Time // kind → when its last message was sent
	held    map[string]*held
	timerAt time.Time
	timerC  <-chan time.Time
}

func (w *worker) push(m Message) {
	w.mu.Lock()
	if len(w.queue) >= w.d.opts.QueueSize {
		old := w.queue[0]
		w.queue = slices.Delete(w.queue, 0, 1)
		w.d.record(Delivery{Time: w.d.opts.Clock.Now(), Channel: w.r.ID, Kind: old.Kind, Outcome: Dropped})
	}
	w.queue = append(w.queue, m)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) pop() (Message, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return Message{}, false
	}
	m := w.queue[0]
	w.queue = slices.Delete(w.queue, 0, 1)
	return m, true
}

func (w *worker) run(ctx context.Context) {
	clk := w.d.opts.Clock
	for ctx.Err() == nil {
		for m, ok := w.pop(); ok && ctx.Err() == nil; m, ok = w.pop() {
			w.handle(ctx, m)
		}
		w.releaseDue(ctx)
		var timer <-chan time.Time
		if next, ok := w.nextRelease(); ok {
			if !next.Equal(w.timerAt) || w.timerC == nil {
				w.timerAt, w.timerC = next, clk.Until(next)
			}
			timer = w.timerC
		}
		select {
		case <-w.wake:
		case <-timer:
			w.timerC = nil
		case <-ctx.Done():
		}
	}
}

// handle sends m, or holds it back when its kind was sent less than RateWindow ago.
func (w *worker) handle(ctx context.Context, m Message) {
	now := w.d.opts.Clock.Now()
	if last, ok := w.last[m.Kind]; ok && now.Sub(last) < w.d.opts.RateWindow {
		h := w.held[m.Kind]
		if h == nil {
			h = &held{first: m.Time}
			w.held[m.Kind] = h
		}
		h.count++
		h.msg = m
		w.d.record(Delivery{Time: now, Channel: w.r.ID, Kind: m.Kind, Outcome: Suppressed})
		return
	}
	if h := w.held[m.Kind]; h != nil {
		// Messages held back earlier are older than m: m carries their count.
		delete(w.held, m.Kind)
		m.Detail += summary(h.count, m.Kind, h.first)
	}
	w.deliver(ctx, m)
}

// releaseDue sends, for each kind whose window has ended, the latest held-back message with the
// count, in order of their windows' ends.
func (w *worker) releaseDue(ctx context.Context) {
	type due struct {
		kind string
		at   time.Time
	}
	var ds []due
	now := w.d.opts.Clock.Now()
	for k := range w.held {
		at := w.last[k].Add(w.d.opts.RateWindow)
		if !at.After(now) {
			ds = append(ds, due{k, at})
		}
	}
	slices.SortFunc(ds, func(a, b due) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.kind, b.kind)) })
	for _, x := range ds {
		h := w.held[x.kind]
		delete(w.held, x.kind)
		// The latest held message is itself one of the count; the summary says how many were
		// not sent on their own.
		m := h.msg
		m.Detail += summary(h.count-1, x.kind, h.first)
		w.deliver(ctx, m)
	}
}

// summary is the note a message carries about n earlier messages the rate limit held back.
func summary(n int, kind string, since time.Time) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" (rate limit: %d earlier %s message(s) since %s not sent separately)", n, kind, since.UTC().Format(time.RFC3339))
}

func (w *worker) nextRelease() (time.Time, bool) {
	var next time.Time
	for k := range w.held {
		at := w.last[k].Add(w.d.opts.RateWindow)
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// deliver tries m on the channel up to MaxAttempts times, waiting Backoff, 2×Backoff, … between.
func (w *worker) deliver(ctx context.Context, m Message) {
	clk := w.d.opts.Clock
	w.last[m.Kind] = clk.Now()
	backoff := w.d.opts.Backoff
	for attempt := 1; ; attempt++ {
		err := w.attempt(ctx, m)
		e := Delivery{Time: clk.Now(), Channel: w.r.ID, Kind: m.Kind, Attempt: attempt}
		switch {
		case err == nil:
			e.Outcome = Delivered
		case ctx.Err() != nil || attempt >= w.d.opts.MaxAttempts:
			e.Outcome, e.Error = GaveUp, w.redact(err)
		default:
			e.Outcome, e.Error = Failed, w.redact(err)
		}
		w.d.record(e)
		if e.Outcome != Failed {
			return
		}
		if wait(ctx, clk, backoff) != nil {
			w.d.record(Delivery{Time: clk.Now(), Channel: w.r.ID, Kind: m.Kind, Attempt: attempt, Outcome: GaveUp, Error: "dispatcher closed"})
			return
		}
		backoff = min(2*backoff, w.d.opts.MaxBackoff)
	}
}

func (w *worker) attempt(ctx context.Context, m Message) error {
	if w.d.opts.AttemptTimeout <= 0 {
		return w.r.Channel.Send(ctx, m)
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-w.d.opts.Clock.After(w.d.opts.AttemptTimeout):
			cancel(fmt.Errorf("attempt took longer than %v", w.d.opts.AttemptTimeout))
		case <-actx.Done():
		}
	}()
	err := w.r.Channel.Send(actx, m)
	if err != nil && context.Cause(actx) != nil && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", context.Cause(actx), err)
	}
	return err
}

// redact is err's text with every secret of the route blanked, whatever a library put in it.
func (w *worker) redact(err error) string {
	s := err.Error()
	for _, sec := range w.r.Secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	const max = 1000
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
