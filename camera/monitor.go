package camera

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera/clock"
	"vsslab/camera/nas"
	"vsslab/camera/notify"
	"vsslab/camera/settings"
)

// The monitoring tests (MON-1).
const (
	TestStorageAvailable = "storage_available"
	TestTransfer         = "transfer"
	TestEventsRecorded   = "events_recorded"
)

// Monitoring results.
const (
	ResultOK   = "ok"
	ResultFail = "fail"
)

// monitorLogFile is the monitoring log in the state directory: JSON lines, the newest at the end.
const monitorLogFile = "monitor.log"

// maxMonitorLog bounds the monitoring log kept in memory and on disk.
const maxMonitorLog = 1000

// probeName is the file the storage and transfer tests write and read back; its name is not a
// record's, so no listing of records ever shows it.
const probeName = "monitor-probe.chk"

// MonitorEntry is one test result in the monitoring log.
type MonitorEntry struct {
	Time   time.Time `json:"time"`
	Test   string    `json:"test"`
	Result string    `json:"result"`
	Detail string    `json:"detail,omitempty"`
}

// monitor is the state of storage failure monitoring: the log, the last result of each test (a
// change raises storage_failure or storage_recovered), and the counters of the events test.
type monitor struct {
	mu      sync.Mutex
	log     []MonitorEntry
	failing map[string]bool
	due     map[string]time.Time
	// armedEvents and lostEvents count, since the events test last ran, the events that came while
	// storage was armed and those of them that produced no record.
	armedEvents, lostEvents int
	lostDetail              string
	kick                    chan struct{}
}

func newMonitor() *monitor {
	return &monitor{failing: map[string]bool{}, due: map[string]time.Time{}, kick: make(chan struct{}, 1)}
}

func (m *monitor) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// countEvent is called for every event that came while storage was armed; lost says it produced no
// record (the card refused it, or the picture could not be taken).
func (m *monitor) countEvent(lost bool, why string) {
	m.mu.Lock()
	m.armedEvents++
	if lost {
		m.lostEvents++
		m.lostDetail = why
	}
	m.mu.Unlock()
}

// MonitorLog returns the monitoring log, oldest first.
func (c *Camera) MonitorLog() ([]MonitorEntry, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	c.mon.mu.Lock()
	defer c.mon.mu.Unlock()
	return append([]MonitorEntry{}, c.mon.log...), nil
}

// loadMonitorLog reads the log kept across reboots; a damaged line is skipped, never fatal: the log
// is a record for people, and the camera must go on monitoring.
func (c *Camera) loadMonitorLog() {
	b, err := c.dir.ReadFile(monitorLogFile)
	if err != nil {
		return
	}
	var out []MonitorEntry
	for _, line := range bytes.Split(b, []byte("\n")) {
		var e MonitorEntry
		if len(line) == 0 || json.Unmarshal(line, &e) != nil {
			continue
		}
		out = append(out, e)
	}
	if len(out) > maxMonitorLog {
		out = out[len(out)-maxMonitorLog:]
	}
	c.mon.mu.Lock()
	c.mon.log = out
	c.mon.mu.Unlock()
}

// logResult appends a result to the log and, when a test changes between ok and failing, raises
// storage_failure or storage_recovered and notifies. The event and the audit entry come first, so
// whoever sees the log entry also finds them.
func (c *Camera) logResult(test, result, detail string) {
	now := c.cfg.Clock.Now()
	m := c.mon
	m.mu.Lock()
	was := m.failing[test]
	failing := result == ResultFail
	m.failing[test] = failing
	m.mu.Unlock()
	kind := ""
	switch {
	case failing && !was:
		kind = notify.KindStorageFailure
	case !failing && was:
		kind = notify.KindStorageRecovered
	}
	if kind != "" {
		c.record(system(), "monitor."+kind, test, "ok", map[string]string{"detail": detail})
		c.rec.mu.Lock()
		c.rec.addEventLocked(Event{Time: now, Kind: kind, Source: SourceCamera, Error: detail})
		c.rec.mu.Unlock()
		c.sendNotification(kind, test+": "+detail, now)
	}
	e := MonitorEntry{Time: now, Test: test, Result: result, Detail: detail}
	m.mu.Lock()
	m.log = append(m.log, e)
	var all []MonitorEntry
	if len(m.log) > maxMonitorLog {
		m.log = m.log[len(m.log)-maxMonitorLog:]
		all = append(all, m.log...)
	}
	m.mu.Unlock()
	c.persistMonitorLog(e, all)
}

// persistMonitorLog appends e to the log file, or rewrites it whole (all) after trimming.
func (c *Camera) persistMonitorLog(e MonitorEntry, all []MonitorEntry) {
	if all != nil {
		var buf bytes.Buffer
		for _, x := range all {
			b, _ := json.Marshal(x)
			buf.Write(append(b, '\n'))
		}
		_ = c.dir.WriteFile(monitorLogFile, buf.Bytes())
		return
	}
	path, err := c.dir.Join(monitorLogFile)
	if err != nil {
		return
	}
	b, _ := json.Marshal(e)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	_, _ = f.Write(append(b, '\n'))
	_ = f.Close()
}

// monitorLoop runs the enabled tests, each on its own interval of the camera's clock.
func (c *Camera) monitorLoop(stop <-chan struct{}) {
	for {
		s, err := c.Settings()
		now := c.cfg.Clock.Now()
		var wake <-chan time.Time
		if err == nil {
			next := time.Time{}
			for _, t := range monitorTests(s.Monitor) {
				c.mon.mu.Lock()
				due := c.mon.due[t.name]
				switch {
				case !t.cfg.Enabled:
					due = time.Time{}
				case due.IsZero() || due.After(now.Add(time.Duration(t.cfg.Interval))):
					// Just enabled, or the interval was shortened: the first run is one interval away.
					due = now.Add(time.Duration(t.cfg.Interval))
				}
				c.mon.due[t.name] = due
				c.mon.mu.Unlock()
				if !due.IsZero() && (next.IsZero() || due.Before(next)) {
					next = due
				}
			}
			if !next.IsZero() {
				wake = c.cfg.Clock.Until(next)
			}
		}
		select {
		case <-stop:
			return
		case <-c.mon.kick:
			continue
		case <-wake:
		}
		now = c.cfg.Clock.Now()
		for _, t := range monitorTests(s.Monitor) {
			c.mon.mu.Lock()
			due := c.mon.due[t.name]
			run := t.cfg.Enabled && !due.IsZero() && !now.Before(due)
			if run {
				c.mon.due[t.name] = now.Add(time.Duration(t.cfg.Interval))
			}
			c.mon.mu.Unlock()
			if run {
				result, detail := t.run(c, s)
				c.logResult(t.name, result, detail)
			}
		}
	}
}

type monitorTest struct {
	name string
	cfg  settings.MonitorTest
	run  func(c *Camera, s settings.Settings) (string, string)
}

func monitorTests(m settings.Monitor) []monitorTest {
	return []monitorTest{
		{TestStorageAvailable, m.StorageAvailable, (*Camera).testStorage},
		{TestTransfer, m.Transfer, (*Camera).testTransfer},
		{TestEventsRecorded, m.EventsRecorded, (*Camera).testEvents},
	}
}

// testStorage writes a probe file to the card, reads it back and removes it.
func (c *Camera) testStorage(s settings.Settings) (string, string) {
	if c.cfg.Card == nil {
		return ResultFail, "no card slot"
	}
	probe := make([]byte, 4096)
	if _, err := io.ReadFull(rand.Reader, probe); err != nil {
		return ResultFail, "no randomness for the probe: " + err.Error()
	}
	// A card that answers, but slowly, fails too: it would drop frames and miss events. Its speed is
	// measured on the wall clock, since the medium's latency is physical.
	started := time.Now()
	if err := c.cfg.Card.Write(probeName, probe); err != nil {
		return ResultFail, "card not writable: " + err.Error()
	}
	back, err := c.cfg.Card.Read(probeName)
	took := time.Since(started)
	_ = c.cfg.Card.Remove(probeName)
	switch {
	case err != nil:
		return ResultFail, "card not readable: " + err.Error()
	case !bytes.Equal(back, probe):
		return ResultFail, "card returned other bytes than were written"
	case took > time.Duration(s.Monitor.CardTimeout):
		return ResultFail, fmt.Sprintf("card too slow: writing and reading 4 KiB took %v, more than %v", took.Round(time.Millisecond), time.Duration(s.Monitor.CardTimeout))
	}
	c.adoptCard()
	return ResultOK, "card present and writable"
}

// testTransfer writes a probe file to the NAS, reads it back and removes it, within the transfer
// timeout; a NAS that answers more slowly fails the test.
func (c *Camera) testTransfer(s settings.Settings) (string, string) {
	if s.Storage.NAS == "" {
		return ResultOK, "no NAS configured"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.Monitor.TransferTimeout))
	defer cancel()
	t, err := c.openNAS(ctx, s.Storage)
	if err != nil {
		return ResultFail, "NAS " + nasReason(err, ctx)
	}
	defer func() { _ = t.Close() }()
	probe := make([]byte, 4096)
	if _, err := io.ReadFull(rand.Reader, probe); err != nil {
		return ResultFail, "no randomness for the probe: " + err.Error()
	}
	if err := t.Put(ctx, probeName, probe); err != nil {
		return ResultFail, "NAS transfer failed: " + nasReason(err, ctx)
	}
	back, err := t.Get(ctx, probeName)
	if err != nil {
		return ResultFail, "NAS read-back failed: " + nasReason(err, ctx)
	}
	_ = t.Remove(ctx, probeName)
	if !bytes.Equal(back, probe) {
		return ResultFail, "NAS returned other bytes than were sent"
	}
	if st, _ := c.storeAndPeriod(); st != nil {
		if n := st.Pending(); n > 0 {
			c.nasState.Lock()
			last := c.nasState.lastErr
			c.nasState.Unlock()
			if last != "" {
				return ResultFail, fmt.Sprintf("%d transfers waiting; last error: %s", n, last)
			}
		}
	}
	return ResultOK, "NAS reachable; a probe was written and read back"
}

// nasReason says why a NAS call failed, in words a person acts on.
func nasReason(err error, ctx context.Context) string {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "too slow (no answer within the transfer timeout): " + err.Error()
	case errors.Is(err, nas.ErrAuth):
		return "login refused: " + err.Error()
	case errors.Is(err, nas.ErrUnreachable):
		return "unreachable: " + err.Error()
	}
	return "failed: " + err.Error()
}

// testEvents checks that every event while storage was armed since the last run produced a record.
func (c *Camera) testEvents(settings.Settings) (string, string) {
	m := c.mon
	m.mu.Lock()
	armed, lost, why := m.armedEvents, m.lostEvents, m.lostDetail
	m.armedEvents, m.lostEvents, m.lostDetail = 0, 0, ""
	m.mu.Unlock()
	if lost > 0 {
		return ResultFail, fmt.Sprintf("%d of %d events while storage was armed were not recorded: %s", lost, armed, why)
	}
	return ResultOK, fmt.Sprintf("%d events while storage was armed, all recorded", armed)
}

// notifier holds the running dispatcher; it is rebuilt when notify.channels change.
type notifier struct {
	mu sync.Mutex
	d  *notify.Dispatcher
}

// notifyChanged rebuilds the dispatcher when the channels changed. The caller holds c.mu.
func (c *Camera) notifyChanged(prev, next settings.Settings) {
	a, _ := json.Marshal(prev.Notify.Channels)
	b, _ := json.Marshal(next.Notify.Channels)
	if bytes.Equal(a, b) {
		return
	}
	c.startNotifier(next)
}

// startNotifier builds the dispatcher from the channels in s (replacing a running one).
func (c *Camera) startNotifier(s settings.Settings) {
	deps := notify.Deps{
		Clock:      c.cfg.Clock,
		MediaClock: clock.System{},
		Pin:        c.linePin,
		Speaker:    c.cfg.Speaker,
	}
	if c.cfg.Dialer != nil {
		deps.Dial = c.cfg.Dialer.DialContext
	}
	routes, err := s.Notify.Channels.Routes(deps)
	var d *notify.Dispatcher
	if err == nil && len(routes) > 0 {
		d, err = notify.NewDispatcher(routes, notify.Options{Clock: c.cfg.Clock})
	}
	if err != nil {
		c.record(system(), "notify.setup", "", "failed", map[string]string{"reason": err.Error()})
	}
	c.notif.mu.Lock()
	old := c.notif.d
	c.notif.d = d
	c.notif.mu.Unlock()
	if old != nil {
		go func() { _ = old.Close() }()
	}
}

// linePin gives LED channels the camera's LED line.
func (c *Camera) linePin(name string) (gpio.PinOut, error) {
	if c.cfg.LED == nil {
		return nil, errors.New("this camera has no LED line")
	}
	if name != "led" && name != c.cfg.LED.Name() {
		return nil, fmt.Errorf("no line %q: the camera's LED line is %q (or \"led\")", name, c.cfg.LED.Name())
	}
	return c.cfg.LED, nil
}

// sendNotification hands a message to the channels, with the current (masked) image. It never
// blocks: the dispatcher queues.
func (c *Camera) sendNotification(kind, detail string, at time.Time) {
	c.notif.mu.Lock()
	d := c.notif.d
	c.notif.mu.Unlock()
	if d == nil {
		return
	}
	var img []byte
	if c.checkPrivacy() == nil {
		c.snapEnc.Lock()
		if jpg, _, err := c.frame(c.snapEnc.enc); err == nil {
			img = jpg
		}
		c.snapEnc.Unlock()
	}
	d.Notify(notify.Message{Camera: c.cfg.Serial, Kind: kind, Time: at, Detail: detail, Image: img})
}

// Deliveries returns the notification delivery log.
func (c *Camera) Deliveries() ([]notify.Delivery, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	c.notif.mu.Lock()
	d := c.notif.d
	c.notif.mu.Unlock()
	if d == nil {
		return []notify.Delivery{}, nil
	}
	return d.Log(), nil
}
