package scenarios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/camera/notify"
	"vsslab/scenarios/target"
	simnas "vsslab/sim/nas"
	"vsslab/sim/peers"
)

// monitorEntry is one line of the camera's monitoring log (GET /api/v1/monitor/log).
type monitorEntry struct {
	Time   time.Time `json:"time"`
	Test   string    `json:"test"`
	Result string    `json:"result"`
	Detail string    `json:"detail"`
}

// monitorInterval is the test interval the specs configure: the shortest the camera accepts.
const monitorInterval = 10 * time.Second

// monitorLog reads the camera's monitoring log.
func (s *suite) monitorLog(ctx context.Context, admin Cred) []monitorEntry {
	GinkgoHelper()
	var body struct {
		Entries []monitorEntry `json:"entries"`
	}
	Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/monitor/log", nil).JSON(&body)).To(Succeed())
	return body.Entries
}

// monitorTests are the monitoring tests a spec switched on, all at monitorInterval, so that each
// run of the monitor runs every one of them at the same instant.
type monitorTests struct {
	s     *suite
	admin Cred
	tests []string
}

// enableMonitor switches on the given tests at monitorInterval.
func (s *suite) enableMonitor(ctx context.Context, admin Cred, tests ...string) monitorTests {
	GinkgoHelper()
	m := map[string]any{"transfer_timeout": "1s", "card_timeout": "500ms"}
	for _, t := range tests {
		m[t] = map[string]any{"enabled": true, "interval": monitorInterval.String()}
	}
	s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"monitor": m})
	return monitorTests{s: s, admin: admin, tests: tests}
}

// run moves the camera's clock by one test interval, once the monitor waits for it, and returns the
// log entry test wrote at that instant: the fault must show within one interval. It returns only
// when every enabled test has logged its run, so that no test is still running when the spec
// changes a fault.
func (m monitorTests) run(ctx context.Context, test string) monitorEntry {
	GinkgoHelper()
	clk := m.s.clock()
	due := clk.Now().Add(monitorInterval)
	Eventually(clk.Pending).WithContext(ctx).WithTimeout(5*time.Second).WithPolling(time.Millisecond).Should(ContainElement(due), "the monitor waits for its next run")
	Expect(clk.Advance(monitorInterval)).To(Succeed())
	var got monitorEntry
	Eventually(func(g Gomega) {
		got = monitorEntry{}
		done := map[string]bool{}
		for _, e := range m.s.monitorLog(ctx, m.admin) {
			if e.Time.Equal(due) {
				done[e.Test] = true
				if e.Test == test {
					got = e
				}
			}
		}
		g.Expect(got.Test).To(Equal(test), "the %s test logged its result at %s", test, due)
		for _, t := range m.tests {
			g.Expect(done).To(HaveKey(t), "the %s test logged its run at %s", t, due)
		}
	}).WithContext(ctx).WithTimeout(15 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
	return got
}

// lastLogged is the time of the newest entry in the monitoring log (zero when it is empty).
func (m monitorTests) lastLogged(ctx context.Context) time.Time {
	GinkgoHelper()
	var last time.Time
	for _, e := range m.s.monitorLog(ctx, m.admin) {
		if e.Time.After(last) {
			last = e.Time
		}
	}
	return last
}

// await waits, on a camera whose clock the harness cannot move (a bench), for a run of test logged
// after since with the given result: it must come within two test intervals, the next run plus one
// that may have begun before the spec asked.
func (m monitorTests) await(ctx context.Context, test, result string, since time.Time) monitorEntry {
	GinkgoHelper()
	var got monitorEntry
	Eventually(func(g Gomega) {
		got = monitorEntry{}
		for _, e := range m.s.monitorLog(ctx, m.admin) {
			if e.Test == test && e.Result == result && e.Time.After(since) {
				got = e
			}
		}
		g.Expect(got.Test).To(Equal(test), "the %s test logged %q after %s", test, result, since)
	}).WithContext(ctx).WithTimeout(2*monitorInterval + 10*time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
	return got
}

// idle lets d pass on the camera's clock, one monitoring run at a time, each of which must find
// storage healthy.
func (m monitorTests) idle(ctx context.Context, d time.Duration) {
	GinkgoHelper()
	for t := time.Duration(0); t < d; t += monitorInterval {
		Expect(m.run(ctx, m.tests[0]).Result).To(Equal("ok"), "storage is healthy while the time passes")
	}
}

// startNAS starts the simulated NAS (a real SFTP server) and points the camera at it, with the
// camera's own key authorised and the NAS's host key pinned.
func (s *suite) startNAS(ctx context.Context, admin Cred) *simnas.Server {
	GinkgoHelper()
	root, err := os.MkdirTemp("", "vsslab-nas-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = os.RemoveAll(root) })
	srv, err := simnas.Start(simnas.Options{Root: root, User: "camera"})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Close)
	var st struct {
		Key string `json:"nas_client_key"`
	}
	Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/storage", nil).JSON(&st)).To(Succeed())
	Expect(srv.AuthorizeLine(st.Key)).To(Succeed())
	s.patchStorage(ctx.(SpecContext), admin, map[string]any{"nas": srv.URL(), "nas_host_key": srv.HostKeyLine()})
	return srv
}

// notifyRateWindow is the camera's rate limit: the shortest time between two messages of one kind
// on one channel (docs/monitoring.md).
const notifyRateWindow = time.Minute

// storageFault is one fault the monitoring specs inject into the card or the NAS: the monitoring
// test whose run must find it, what the log and the notifications must say of it, and how to take
// it away again.
type storageFault struct {
	name   string
	test   string
	detail string
	inject func()
	heal   func()
}

// storageFaults are the faults of MON-1 in the order the specs inject them, on the target's card
// and on srv, the simulated NAS the camera transfers to.
func (s *suite) storageFaults(srv *simnas.Server) []storageFault {
	GinkgoHelper()
	crd := s.cardOf()
	writes, ok := s.env.Target.(target.CardWriteFaults)
	if !ok {
		Skip("not applicable: the target cannot inject card write errors")
	}
	var used int64
	return []storageFault{
		{name: "card removed", test: "storage_available", detail: "card removed", inject: crd.EjectCard, heal: crd.InsertCard},
		{name: "card full", test: "storage_available", detail: "card full",
			inject: func() { used = crd.CardUsed(); crd.SetCardCapacity(used) },
			heal:   func() { crd.SetCardCapacity(used + 64<<20) }},
		// One write fails; the next test's write succeeds again.
		{name: "card write error", test: "storage_available", detail: "write error",
			inject: func() { writes.FailCardWrites(1) }, heal: func() {}},
		{name: "card slow", test: "storage_available", detail: "too slow",
			inject: func() { writes.SlowCard(time.Second) }, heal: func() { writes.SlowCard(0) }},
		{name: "NAS unreachable", test: "transfer", detail: "unreachable",
			inject: func() { Expect(srv.SetDown(true)).To(Succeed()) }, heal: func() { Expect(srv.SetDown(false)).To(Succeed()) }},
		{name: "NAS slow", test: "transfer", detail: "too slow",
			inject: func() { Expect(srv.SetLatency(3 * time.Second)).To(Succeed()) }, heal: func() { Expect(srv.SetLatency(0)).To(Succeed()) }},
		{name: "NAS refusing the login", test: "transfer", detail: "login refused",
			inject: func() { srv.SetRefuseLogin(true) }, heal: func() { srv.SetRefuseLogin(false) }},
	}
}

// storageMonitoring: MON-1 (faults in the monitoring log within one interval), MON-2 (every channel
// delivers to a real receiving server), and the notification parts of PBD-2 and DEL-4.
func storageMonitoring(s *suite) {
	Describe("Storage failure monitoring", func() {
		It("logs every injected card and NAS fault within one test interval, and the recovery", Label("MON-1"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			srv := s.startNAS(ctx, admin)
			faults := s.storageFaults(srv)
			mon := s.enableMonitor(ctx, admin, "storage_available", "transfer")
			type row struct{ fault, test, result, detail string }
			var rows []row
			check := func(fault, test string, wantFail bool, detail string) {
				GinkgoHelper()
				e := mon.run(ctx, test)
				want := "ok"
				if wantFail {
					want = "fail"
				}
				Expect(e.Result).To(Equal(want), "%s: %s logged %+v", fault, test, e)
				if detail != "" {
					Expect(strings.ToLower(e.Detail)).To(ContainSubstring(detail), "%s: the log says what is wrong", fault)
				}
				rows = append(rows, row{fault, test, e.Result, e.Detail})
			}
			check("none (card)", "storage_available", false, "")
			check("none (NAS)", "transfer", false, "")
			for _, f := range faults {
				f.inject()
				check(f.name, f.test, true, f.detail)
				f.heal()
				check(f.name+": taken away", f.test, false, "")
			}

			var failures, recoveries int
			for _, e := range s.events(ctx, admin) {
				switch e.Kind {
				case notify.KindStorageFailure:
					failures++
				case notify.KindStorageRecovered:
					recoveries++
				}
			}
			Expect(failures).To(Equal(len(faults)), "one storage_failure event per fault")
			Expect(recoveries).To(Equal(len(faults)), "and one storage_recovered per recovery")
			evidence("test interval", monitorInterval.String())
			evidence("monitoring log, one run per step", rows)
			evidence("storage_failure / storage_recovered events", map[string]int{"storage_failure": failures, "storage_recovered": recoveries})
		})

		It("notifies every fault and its recovery through every channel, each checked at a real receiving server", Label("MON-2"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			srv := s.startNAS(ctx, admin)
			faults := s.storageFaults(srv)
			var dev map[string]any
			Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/device", nil).JSON(&dev)).To(Succeed())
			serial := dev["serial"].(string)

			// The answering phone takes one call per message: a failure and a recovery per fault.
			rx := newReceivers(2 * len(faults))
			DeferCleanup(rx.close)
			var channels []map[string]any
			on := []string{notify.KindStorageFailure, notify.KindStorageRecovered}
			skipped := map[string]string{}
			add := func(name string, ch map[string]any, err error) {
				if err != nil {
					if errors.Is(err, peers.ErrUnavailable) {
						skipped[name] = err.Error()
						return
					}
					Expect(err).NotTo(HaveOccurred(), "start the %s receiver", name)
				}
				ch["id"], ch["on"] = name, on
				channels = append(channels, ch)
			}
			add(rx.email())
			add(rx.ftpServer())
			add(rx.http())
			add(rx.mqttBroker())
			add(rx.sip())
			if len(skipped) > 0 {
				// A channel left unchecked would make a pass claim more than was seen: without every
				// receiving server the row is not applicable here, and says which server is missing.
				var missing []string
				for name, why := range skipped {
					missing = append(missing, name+": "+why)
				}
				sort.Strings(missing)
				Skip("not applicable: a receiving server cannot run on this machine: " + strings.Join(missing, "; "))
			}
			if _, ok := s.env.Target.(target.Speaker); ok {
				add("audio", map[string]any{"type": "audio", "repeat": 1}, nil)
			} else {
				skipped["audio"] = "the target's loudspeaker cannot be heard from the bench"
			}
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": channels}})
			read := s.settings(ctx, admin)
			raw, _ := json.Marshal(read["notify"])
			Expect(string(raw)).NotTo(ContainSubstring(receiverPassword), "channel secrets are never read back")
			evidence("what each receiving server demands of the camera", rx.demands())
			mon := s.enableMonitor(ctx, admin, "storage_available", "transfer")

			type delivery struct {
				Fault     string            `json:"fault"`
				FailedAt  time.Time         `json:"failed_at"`
				Recovered time.Time         `json:"recovered_at"`
				Received  map[string]string `json:"received"`
			}
			var table []delivery
			for i, f := range faults {
				f.inject()
				failed := mon.run(ctx, f.test)
				Expect(failed.Result).To(Equal("fail"), "%s is found", f.name)
				f.heal()
				recovered := mon.run(ctx, f.test)
				Expect(recovered.Result).To(Equal("ok"), "%s is over", f.name)

				row := delivery{Fault: f.name, FailedAt: failed.Time, Recovered: recovered.Time, Received: map[string]string{}}
				for _, ch := range channels {
					name := ch["id"].(string)
					Eventually(func(g Gomega) {
						got := rx.received(name, s.env.Target)
						g.Expect(len(got)).To(BeNumerically(">=", 2*(i+1)), "%s: the failure and the recovery of %q arrived", name, f.name)
						fail, back := got[2*i], got[2*i+1]
						if name == "audio" {
							// The speaker has no text: its tones say the kind.
							g.Expect([]string{fail, back}).To(Equal([]string{notify.KindStorageFailure, notify.KindStorageRecovered}), "audio: the speaker played both messages")
						} else {
							g.Expect(fail).To(And(ContainSubstring(serial), ContainSubstring(notify.KindStorageFailure),
								ContainSubstring(failed.Time.UTC().Format(time.RFC3339))), "%s names the camera, the fault and the time", name)
							g.Expect(strings.ToLower(fail)).To(ContainSubstring(f.detail), "%s says what failed", name)
							g.Expect(back).To(And(ContainSubstring(notify.KindStorageRecovered), ContainSubstring(recovered.Time.UTC().Format(time.RFC3339))), "%s reports the recovery", name)
						}
						switch name {
						case "sip":
							// The call's audio is the kind's tone sequence, bit for bit.
							g.Expect(fail).To(HavePrefix("tones "+notify.KindStorageFailure), "sip: the failure's call plays the failure's tones")
							g.Expect(back).To(HavePrefix("tones "+notify.KindStorageRecovered), "sip: the recovery's call plays the recovery's tones")
						case "email":
							g.Expect(fail).To(ContainSubstring("Content-Type: image/jpeg"), "email: the current image is attached, as asked")
						}
						row.Received[name] = fmt.Sprintf("%.160s", fail)
					}).WithContext(ctx).WithTimeout(30 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
				}
				table = append(table, row)
				// Let the rate limit's window pass, so the next fault is a message of its own rather
				// than a count in a later one.
				mon.idle(ctx, notifyRateWindow)
			}
			for _, ch := range channels {
				name := ch["id"].(string)
				Expect(rx.received(name, s.env.Target)).To(HaveLen(2*len(faults)), "%s: nothing but the failures and recoveries arrived", name)
			}
			if rx.vsftpd != nil {
				Expect(rx.ftpImages()).To(Equal(2*len(faults)), "ftp: the image of each message was uploaded beside its text")
			}
			if r := rx.sipp; r != nil {
				// sipp exits after its last call: it saw every INVITE answered, ACKed and hung up.
				wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				Expect(r.Wait(wctx)).To(Succeed(), "sipp finished its %d calls cleanly", 2*len(faults))
			}
			if obs, ok := s.env.Target.(target.Observed); ok {
				// Every channel's connections went through the camera's dialer: the observer that
				// PBD-4 relies on saw each receiving server.
				seen := map[string]int{}
				for _, at := range obs.OutboundAttempts() {
					seen[at.Address]++
				}
				for name, addr := range rx.addrs() {
					Expect(seen).To(HaveKey(addr), "the camera's dialer saw the %s channel's connections to %s", name, addr)
				}
				evidence("outbound connections the camera's dialer saw, by receiving server", seen)
			}
			evidence("channels configured", len(channels))
			evidence("faults injected", len(faults))
			evidence("first message of each fault, as each receiving server got it", table)
			if len(skipped) > 0 {
				evidence("channels not checked on this machine", skipped)
			}
		})

		It("sends event notifications only once the general and the notification arming are on", Label("PBD-2"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			rx := newReceivers(1)
			DeferCleanup(rx.close)
			_, ch, err := rx.http()
			Expect(err).NotTo(HaveOccurred())
			ch["id"], ch["on"] = "alarm-desk", []string{"events"}
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": []any{ch}}})
			s.armRecording(ctx, admin, nil)
			stored := s.postEvent(ctx, admin, "storage-only")
			Expect(stored.Recorded).To(BeTrue(), "storage armed: the event is recorded")
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{"notifications": true}})
			sent := s.postEvent(ctx, admin, "notified")
			var posts []string
			Eventually(func() []string {
				posts = rx.received("http", s.env.Target)
				return posts
			}).WithContext(ctx).WithTimeout(15 * time.Second).WithPolling(20 * time.Millisecond).ShouldNot(BeEmpty())
			// A channel delivers in order: had the first event been sent, it would have arrived first.
			Expect(posts[0]).To(ContainSubstring(`"notified"`), "the first message is the event after the notification arming")
			for _, p := range posts {
				Expect(p).NotTo(ContainSubstring(`"storage-only"`), "nothing was sent while only storage was armed")
			}
			evidence("event while storage was armed, notifications not", map[string]any{"kind": stored.Kind, "recorded": stored.Recorded, "sent": false})
			evidence("event after arming notifications", map[string]any{"kind": sent.Kind, "sent": true})
			evidence("message received", posts[0])
		})

		It("notifies a full card on every channel set for it, without deleting anything", Label("DEL-4"), func(ctx SpecContext) {
			crd := s.cardOf()
			admin := s.takeOwnership(ctx)
			rx := newReceivers(1)
			DeferCleanup(rx.close)
			_, ch, err := rx.email()
			Expect(err).NotTo(HaveOccurred())
			ch["id"], ch["on"] = "email", []string{notify.KindStorageFull}
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": []any{ch}}})
			s.armRecording(ctx, admin, nil)
			kept := s.recordEvent(ctx, admin)
			before := hashFiles(crd.CardDir())
			crd.SetCardCapacity(crd.CardUsed())
			full := s.postEvent(ctx, admin, "manual")
			Expect(full.Recorded).To(BeFalse())
			var mails []string
			Eventually(func() []string {
				mails = rx.received("email", s.env.Target)
				return mails
			}).WithContext(ctx).WithTimeout(15 * time.Second).WithPolling(20 * time.Millisecond).Should(HaveLen(1))
			Expect(mails[0]).To(ContainSubstring(notify.KindStorageFull))
			Expect(hashFiles(crd.CardDir())).To(Equal(before), "nothing was deleted to make room")
			s.play(ctx, admin, kept.Record)
			evidence("notification received by the SMTP server", fmt.Sprintf("%.300s", mails[0]))
			evidence("records on the card unchanged (sha256)", len(before))
		})

		It("retries a channel whose server is down, logs every attempt, and keeps recording", Label("MON-2"), func(ctx SpecContext) {
			crd := s.cardOf()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			// A receiver that is not there: a port nothing listens on.
			port, err := peers.FreePort()
			Expect(err).NotTo(HaveOccurred())
			ch := map[string]any{"id": "down", "type": "mqtt", "host": "127.0.0.1", "port": port, "topic": "cam/alarms", "on": []string{notify.KindStorageFailure}}
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": []any{ch}}})
			s.armRecording(ctx, admin, nil)
			mon := s.enableMonitor(ctx, admin, "storage_available")
			faults, ok := s.env.Target.(target.CardWriteFaults)
			if !ok {
				Skip("not applicable: the target cannot inject card write errors")
			}
			faults.FailCardWrites(1)
			Expect(mon.run(ctx, "storage_available").Result).To(Equal("fail"))
			type delivery struct {
				Time    time.Time `json:"time"`
				Channel string    `json:"channel"`
				Kind    string    `json:"kind"`
				Outcome string    `json:"outcome"`
				Attempt int       `json:"attempt"`
				Error   string    `json:"error"`
			}
			log := func() []delivery {
				var body struct {
					Deliveries []delivery `json:"deliveries"`
				}
				Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/notify/log", nil).JSON(&body)).To(Succeed())
				return body.Deliveries
			}
			// Each failed attempt is logged; the next waits for its backoff on the camera's clock.
			for attempt := 1; attempt <= 3; attempt++ {
				Eventually(func() int { return len(log()) }).WithContext(ctx).WithTimeout(15*time.Second).WithPolling(20*time.Millisecond).Should(BeNumerically(">=", attempt), "attempt %d is logged", attempt)
				Expect(clk.Advance(time.Minute)).To(Succeed())
			}
			entries := log()
			for i, d := range entries[:3] {
				Expect(d.Channel).To(Equal("down"))
				Expect(d.Outcome).To(Equal("failed"))
				Expect(d.Attempt).To(Equal(i+1), "attempts are counted")
				Expect(d.Error).NotTo(BeEmpty())
			}
			// Meanwhile the camera records as ever.
			crd.HealCard()
			rec := s.recordEvent(ctx, admin)
			s.play(ctx, admin, rec.Record)
			evidence("delivery log (first three attempts)", entries[:3])
			evidence("recorded while the channel was failing", rec.Recorded)
		})

		It("flashes the LED line on a storage failure", Label("MON-2"), func(ctx SpecContext) {
			lines, ok := s.env.Target.(target.Lines)
			if !ok {
				Skip("not applicable: the target has no LED line a bench can probe (a board target has)")
			}
			// The failure is the card going away: ejected where the target holds the card, its supply
			// switched off on a bench (the profile's card_power line).
			crd, hasCard := s.env.Target.(target.Card)
			power, hasPower := s.env.Target.(target.CardPower)
			if !hasCard && !hasPower {
				Skip("not applicable: the target can neither take the card out nor switch its supply (a bench needs a card_power line)")
			}
			admin := s.takeOwnership(ctx)
			ch := map[string]any{"id": "led", "type": "led", "line": "led", "repeat": 1, "on": []string{notify.KindStorageFailure}}
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": []any{ch}}})
			mon := s.enableMonitor(ctx, admin, "storage_available")
			_, before, err := lines.Line("led")
			Expect(err).NotTo(HaveOccurred())

			clocked, onVirtualTime := s.env.Target.(target.Clocked)
			var since time.Time
			if !onVirtualTime {
				// The camera's clock runs on its own: the card must first be found healthy, so that the
				// failure after the cut is the cut's.
				since = mon.await(ctx, "storage_available", "ok", mon.lastLogged(ctx)).Time
			}
			if hasCard {
				crd.EjectCard()
				evidence("card", "taken out")
			} else {
				Expect(power.PowerCard(ctx, false)).To(Succeed(), "switch the card's supply off")
				DeferCleanup(func(ctx SpecContext) {
					Expect(power.PowerCard(ctx, true)).To(Succeed(), "switch the card's supply on again")
				})
				evidence("card", "supply switched off through the card_power line")
			}
			var failed monitorEntry
			if onVirtualTime {
				failed = mon.run(ctx, "storage_available")
			} else {
				failed = mon.await(ctx, "storage_available", "fail", since)
			}
			Expect(failed.Result).To(Equal("fail"))
			// The pattern runs on the camera's clock: on virtual time keep moving it on until the LED has
			// flashed and is off again; on a bench, wait for it.
			var flashes []target.Edge
			Eventually(func(g Gomega) {
				if onVirtualTime {
					g.Expect(clocked.Clock().Advance(100 * time.Millisecond)).To(Succeed())
				}
				_, edges, err := lines.Line("led")
				g.Expect(err).NotTo(HaveOccurred())
				flashes = edges[len(before):]
				g.Expect(len(flashes)).To(BeNumerically(">=", 4))
				g.Expect(flashes[len(flashes)-1].Level).To(BeEquivalentTo(false))
			}).WithContext(ctx).WithTimeout(20 * time.Second).WithPolling(5 * time.Millisecond).Should(Succeed())
			Expect(len(flashes)).To(BeNumerically(">=", 4), "the LED flashed: %v", flashes)
			for i := 1; i < len(flashes); i++ {
				Expect(flashes[i].Level).NotTo(Equal(flashes[i-1].Level), "the line toggles")
				Expect(flashes[i].Time.Before(flashes[i-1].Time)).To(BeFalse())
			}
			if onVirtualTime {
				// One clock stamps both the log and the edges; on a bench the probes' host clock is not
				// the camera's, and the edges are the ones seen since the failure was caused.
				Expect(flashes[0].Time.Before(failed.Time)).To(BeFalse(), "the flashing follows the failure")
			}
			Expect(flashes[len(flashes)-1].Level).To(BeEquivalentTo(false), "the LED ends off")
			evidence("storage test that found the failure", failed)
			evidence("LED edges after the failure", flashes)
		})
	})
}

// receiverPassword is the password the specs give the channels' receiving servers.
const receiverPassword = "Receiver-Pass-2026"

// receivers are the real servers the channels deliver to, started on loopback for one spec.
type receivers struct {
	mu      sync.Mutex
	smtp    *peers.SMTP
	vsftpd  *peers.Vsftpd
	broker  *peers.Mosquitto
	sipp    *peers.SIPp
	https   *httptest.Server
	posts   []string
	mqttMsg []string
	sub     mqtt.Client
	calls   int
	closers []func()
}

// newReceivers prepares the receiving servers; the answering phone takes calls calls (at least one).
func newReceivers(calls int) *receivers { return &receivers{calls: max(calls, 1)} }

func (r *receivers) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

func (r *receivers) email() (string, map[string]any, error) {
	srv, err := peers.StartSMTP(peers.SMTPOptions{Username: "camera", Password: receiverPassword})
	if err != nil {
		return "email", nil, err
	}
	r.smtp = srv
	r.closers = append(r.closers, func() { _ = srv.Close() })
	host, port := splitHostPort(srv.Addr)
	return "email", map[string]any{"type": "email", "host": host, "port": port, "from": "camera@vsslab.test",
		"to": []string{"guard@vsslab.test"}, "username": "camera", "password": receiverPassword, "tls": "starttls",
		"attach_image": true, "ca_pem": string(srv.CertPEM)}, nil
}

func (r *receivers) ftpServer() (string, map[string]any, error) {
	// vsftpd refuses a login or a transfer that is not encrypted, so a delivery proves FTP over TLS.
	srv, err := peers.StartVsftpd(peers.VsftpdOptions{TLS: "explicit"})
	if err != nil {
		return "ftp", nil, err
	}
	r.vsftpd = srv
	r.closers = append(r.closers, func() { _ = srv.Close() })
	host, port := splitHostPort(srv.Addr)
	return "ftp", map[string]any{"type": "ftp", "host": host, "port": port, "username": srv.User, "password": srv.Password,
		"dir": "alarms", "tls": "explicit", "ca_pem": string(srv.Cert.PEM)}, nil
}

func (r *receivers) http() (string, map[string]any, error) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if req.Header.Get("Authorization") != "Bearer "+receiverPassword {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.posts = append(r.posts, string(b))
		r.mu.Unlock()
	}))
	r.https = srv
	r.closers = append(r.closers, srv.Close)
	sum := sha256.Sum256(srv.Certificate().Raw)
	return "http", map[string]any{"type": "http", "url": srv.URL + "/alarm", "token": receiverPassword, "pin_sha256": hex.EncodeToString(sum[:])}, nil
}

func (r *receivers) mqttBroker() (string, map[string]any, error) {
	// The broker's only listener speaks TLS, so a delivery proves MQTT over TLS.
	broker, err := peers.StartMosquitto(peers.MosquittoOptions{Username: "camera", Password: receiverPassword, TLS: true})
	if err != nil {
		return "mqtt", nil, err
	}
	r.broker = broker
	r.closers = append(r.closers, func() { _ = broker.Close() })
	opts := mqtt.NewClientOptions().AddBroker(broker.BrokerURL).SetClientID("vsslab-spec").SetUsername("camera").
		SetPassword(receiverPassword).SetTLSConfig(broker.Cert.ClientTLS())
	c := mqtt.NewClient(opts)
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return "mqtt", nil, fmt.Errorf("subscribe to the broker: %v", t.Error())
	}
	if t := c.Subscribe("cam/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		r.mu.Lock()
		r.mqttMsg = append(r.mqttMsg, string(m.Payload()))
		r.mu.Unlock()
	}); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return "mqtt", nil, fmt.Errorf("subscribe: %v", t.Error())
	}
	r.sub = c
	r.closers = append(r.closers, func() { c.Disconnect(100) })
	host, port := splitHostPort(broker.Addr)
	return "mqtt", map[string]any{"type": "mqtt", "host": host, "port": port, "topic": "cam/alarms", "username": "camera",
		"password": receiverPassword, "tls": "tls", "pin_sha256": hex.EncodeToString(broker.Cert.SHA256[:])}, nil
}

func (r *receivers) sip() (string, map[string]any, error) {
	srv, err := peers.StartSIPp(peers.SIPpOptions{Calls: r.calls})
	if err != nil {
		return "sip", nil, err
	}
	r.sipp = srv
	r.closers = append(r.closers, func() { _ = srv.Close() })
	return "sip", map[string]any{"type": "sip", "uri": srv.URI, "repeat": 1, "ring_seconds": 10}, nil
}

// received returns what the named channel's server got, as text, oldest first.
func (r *receivers) received(name string, t target.Target) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch name {
	case "email":
		var out []string
		for _, m := range r.smtp.Messages() {
			out = append(out, string(m.Data))
		}
		return out
	case "ftp":
		var out []string
		_ = filepath.WalkDir(r.vsftpd.Root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".txt") {
				b, _ := os.ReadFile(p)
				out = append(out, string(b))
			}
			return nil
		})
		return sortByTime(out)
	case "http":
		return append([]string(nil), r.posts...)
	case "mqtt":
		return append([]string(nil), r.mqttMsg...)
	case "sip":
		return sipMessages(r.sipp)
	case "audio":
		var out []string
		for _, p := range t.(target.Speaker).SpeakerPlayed() {
			out = append(out, spokenKind(p))
		}
		return out
	}
	return nil
}

// addrs are the host:port each network receiver listens on, by channel.
func (r *receivers) addrs() map[string]string {
	out := map[string]string{}
	if r.smtp != nil {
		out["email"] = r.smtp.Addr
	}
	if r.vsftpd != nil {
		out["ftp"] = r.vsftpd.Addr
	}
	if r.https != nil {
		out["http"] = r.https.Listener.Addr().String()
	}
	if r.broker != nil {
		out["mqtt"] = r.broker.Addr
	}
	if r.sipp != nil {
		out["sip"] = r.sipp.Addr
	}
	return out
}

// demands says, per channel, what the receiving server refuses to do without, so a delivery it
// accepted shows the camera met it.
func (r *receivers) demands() map[string]string {
	out := map[string]string{}
	if r.smtp != nil {
		out["email"] = "AUTH only after STARTTLS, no mail before AUTH (go-smtp)"
	}
	if r.vsftpd != nil {
		out["ftp"] = "vsftpd: login and every data connection over TLS (AUTH TLS, PROT P), data sessions resuming the control session"
	}
	if r.https != nil {
		out["http"] = "HTTPS with a self-signed certificate the camera pins; bearer token"
	}
	if r.broker != nil {
		out["mqtt"] = "mosquitto: one listener, MQTT over TLS only; password file"
	}
	if r.sipp != nil {
		out["sip"] = "sipp UAS on UDP: INVITE, 180, 200, ACK, RTP, BYE"
	}
	return out
}

// ftpImages counts the JPEG images the FTP server received.
func (r *receivers) ftpImages() int {
	n := 0
	_ = filepath.WalkDir(r.vsftpd.Root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jpg") {
			if b, _ := os.ReadFile(p); len(b) > 2 && b[0] == 0xFF && b[1] == 0xD8 {
				n++
			}
		}
		return nil
	})
	return n
}

func splitHostPort(addr string) (string, int) {
	i := strings.LastIndex(addr, ":")
	var port int
	_, _ = fmt.Sscanf(addr[i+1:], "%d", &port)
	return addr[:i], port
}

// sortByTime orders message texts by the RFC 3339 time they name (the FTP files' order on disk is
// their names').
func sortByTime(msgs []string) []string {
	at := func(m string) string {
		for _, f := range strings.Fields(m) {
			if _, err := time.Parse(time.RFC3339, strings.Trim(f, ".,;()")); err == nil {
				return f
			}
		}
		return m
	}
	out := append([]string(nil), msgs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && at(out[j]) < at(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// spokenKind names the message kind whose tone sequence audio is, or "unknown".
func spokenKind(audio []byte) string {
	for _, k := range []string{notify.KindStorageFailure, notify.KindStorageRecovered, notify.KindStorageFull} {
		if string(audio) == string(notify.RenderTone(k, 1)) {
			return k
		}
	}
	return "unknown"
}

// sipMessages describes the calls sipp answered, in order: "tones KIND; subject SUBJECT", the kind
// whose tone sequence the call's RTP audio carries and the Subject of its INVITE.
func sipMessages(r *peers.SIPp) []string {
	trace, _ := r.Trace()
	subjects := inviteSubjects(trace)
	var out []string
	for i, stream := range r.RTPStreams() {
		var audio []byte
		for _, p := range stream {
			audio = append(audio, p[12:]...)
		}
		kind := "unknown"
		for _, k := range []string{notify.KindStorageFailure, notify.KindStorageRecovered, notify.KindStorageFull} {
			if string(audio) == string(notify.RenderTone(k, 1)) {
				kind = k
			}
		}
		subject := ""
		if i < len(subjects) {
			subject = subjects[i]
		}
		out = append(out, fmt.Sprintf("tones %s; subject %s", kind, subject))
	}
	return out
}

// inviteSubjects returns the Subject header of each call's INVITE in sipp's message trace, in
// order, one per Call-ID (a retransmitted INVITE counts once).
func inviteSubjects(trace string) []string {
	var out []string
	seen := map[string]bool{}
	var inInvite bool
	var subject, callID string
	flush := func() {
		if inInvite && callID != "" && !seen[callID] {
			seen[callID] = true
			out = append(out, subject)
		}
		inInvite, subject, callID = false, "", ""
	}
	for _, line := range strings.Split(trace, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "INVITE "):
			flush()
			inInvite = true
		case line == "" || strings.HasPrefix(line, "----"):
			flush()
		case inInvite:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "subject":
				subject = strings.TrimSpace(value)
			case "call-id", "i":
				callID = strings.TrimSpace(value)
			}
		}
	}
	flush()
	return out
}
