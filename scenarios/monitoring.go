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

// enableMonitor switches on the given tests at monitorInterval.
func (s *suite) enableMonitor(ctx context.Context, admin Cred, tests ...string) {
	GinkgoHelper()
	m := map[string]any{"transfer_timeout": "1s", "card_timeout": "500ms"}
	for _, t := range tests {
		m[t] = map[string]any{"enabled": true, "interval": monitorInterval.String()}
	}
	s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"monitor": m})
}

// runMonitor moves the camera's clock by one test interval, once the monitor waits for it, and
// returns the log entry test wrote at that instant: the fault must show within one interval.
func (s *suite) runMonitor(ctx context.Context, admin Cred, test string) monitorEntry {
	GinkgoHelper()
	clk := s.clock()
	due := clk.Now().Add(monitorInterval)
	Eventually(clk.Pending).WithContext(ctx).WithTimeout(5*time.Second).WithPolling(time.Millisecond).Should(ContainElement(due), "the monitor waits for its next run")
	Expect(clk.Advance(monitorInterval)).To(Succeed())
	var got monitorEntry
	Eventually(func(g Gomega) {
		got = monitorEntry{}
		for _, e := range s.monitorLog(ctx, admin) {
			if e.Test == test && e.Time.Equal(due) {
				got = e
			}
		}
		g.Expect(got.Test).To(Equal(test), "the %s test logged its result at %s", test, due)
	}).WithContext(ctx).WithTimeout(15 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
	return got
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

// storageMonitoring: MON-1 (faults in the monitoring log within one interval), MON-2 (every channel
// delivers to a real receiving server), and the notification parts of PBD-2 and DEL-4.
func storageMonitoring(s *suite) {
	Describe("Storage failure monitoring", func() {
		It("logs every injected card and NAS fault within one test interval, and the recovery", Label("MON-1"), func(ctx SpecContext) {
			crd := s.cardOf()
			faults, ok := s.env.Target.(target.CardWriteFaults)
			if !ok {
				Skip("not applicable: the target cannot inject card write errors")
			}
			admin := s.takeOwnership(ctx)
			srv := s.startNAS(ctx, admin)
			s.enableMonitor(ctx, admin, "storage_available", "transfer")
			type row struct{ fault, test, result, detail string }
			var rows []row
			check := func(fault, test string, wantFail bool, detail string) {
				GinkgoHelper()
				e := s.runMonitor(ctx, admin, test)
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

			crd.EjectCard()
			check("card removed", "storage_available", true, "card removed")
			crd.InsertCard()
			check("card back", "storage_available", false, "")

			used := crd.CardUsed()
			crd.SetCardCapacity(used)
			check("card full", "storage_available", true, "card full")
			crd.SetCardCapacity(used + 64<<20)
			check("card room again", "storage_available", false, "")

			faults.FailCardWrites(1)
			check("card write error", "storage_available", true, "write error")
			check("card healthy", "storage_available", false, "")

			faults.SlowCard(time.Second)
			check("card slow", "storage_available", true, "too slow")
			faults.SlowCard(0)
			check("card fast again", "storage_available", false, "")

			check("none (NAS)", "transfer", false, "")
			Expect(srv.SetDown(true)).To(Succeed())
			check("NAS unreachable", "transfer", true, "unreachable")
			Expect(srv.SetDown(false)).To(Succeed())
			check("NAS back", "transfer", false, "")

			Expect(srv.SetLatency(3 * time.Second)).To(Succeed())
			check("NAS slow", "transfer", true, "too slow")
			Expect(srv.SetLatency(0)).To(Succeed())
			check("NAS fast again", "transfer", false, "")

			srv.SetRefuseLogin(true)
			check("NAS refusing the login", "transfer", true, "login refused")
			srv.SetRefuseLogin(false)
			check("NAS accepting the login", "transfer", false, "")

			var failures, recoveries int
			for _, e := range s.events(ctx, admin) {
				switch e.Kind {
				case notify.KindStorageFailure:
					failures++
				case notify.KindStorageRecovered:
					recoveries++
				}
			}
			Expect(failures).To(Equal(7), "one storage_failure event per fault")
			Expect(recoveries).To(Equal(7), "and one storage_recovered per recovery")
			evidence("test interval", monitorInterval.String())
			evidence("monitoring log, one run per step", rows)
			evidence("storage_failure / storage_recovered events", map[string]int{"storage_failure": failures, "storage_recovered": recoveries})
		})

		It("notifies the failure and the recovery through every channel, each checked at a real receiving server", Label("MON-2"), func(ctx SpecContext) {
			crd := s.cardOf()
			admin := s.takeOwnership(ctx)
			var dev map[string]any
			Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/device", nil).JSON(&dev)).To(Succeed())
			serial := dev["serial"].(string)

			rx := newReceivers()
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
			if _, ok := s.env.Target.(target.Speaker); ok {
				add("audio", map[string]any{"type": "audio", "repeat": 1}, nil)
			} else {
				skipped["audio"] = "the target's loudspeaker cannot be heard from the bench"
			}
			DeferCleanup(rx.close)
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": channels}})
			read := s.settings(ctx, admin)
			raw, _ := json.Marshal(read["notify"])
			Expect(string(raw)).NotTo(ContainSubstring(receiverPassword), "channel secrets are never read back")

			s.enableMonitor(ctx, admin, "storage_available")
			crd.EjectCard()
			failedAt := s.runMonitor(ctx, admin, "storage_available")
			Expect(failedAt.Result).To(Equal("fail"))
			crd.InsertCard()
			recoveredAt := s.runMonitor(ctx, admin, "storage_available")
			Expect(recoveredAt.Result).To(Equal("ok"))

			delivered := map[string][]string{}
			for _, ch := range channels {
				name := ch["id"].(string)
				Eventually(func(g Gomega) {
					got := rx.received(name, s.env.Target)
					switch name {
					case "sip":
						// The answering side takes one call: the failure's. Its audio is the
						// failure's tone sequence, bit for bit.
						g.Expect(got).NotTo(BeEmpty(), "sip: a call arrived")
						g.Expect(got[0]).To(Equal(notify.KindStorageFailure), "sip: the call plays the failure's tones")
					case "audio":
						g.Expect(got).To(Equal([]string{notify.KindStorageFailure, notify.KindStorageRecovered}), "audio: the speaker played both messages")
					default:
						g.Expect(got).To(HaveLen(2), "%s: the failure and the recovery arrived", name)
						g.Expect(got[0]).To(And(ContainSubstring(serial), ContainSubstring(notify.KindStorageFailure), ContainSubstring(failedAt.Time.UTC().Format(time.RFC3339))), "%s names the camera, the fault and the time", name)
						g.Expect(got[0]).To(ContainSubstring("card removed"), "%s says what failed", name)
						g.Expect(got[1]).To(ContainSubstring(notify.KindStorageRecovered))
					}
					delivered[name] = got
				}).WithContext(ctx).WithTimeout(30 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
			}
			if r := rx.sipp; r != nil {
				// The camera hangs up once its tones are sent: wait for the whole call in sipp's trace.
				Eventually(func(g Gomega) {
					trace, err := r.Trace()
					g.Expect(err).NotTo(HaveOccurred())
					for _, m := range []string{"INVITE", "ACK", "BYE"} {
						g.Expect(trace).To(ContainSubstring(m), "sipp saw the %s", m)
					}
				}).WithContext(ctx).WithTimeout(20 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
			}
			evidence("channels configured", len(channels))
			summary := map[string]string{}
			for name, msgs := range delivered {
				summary[name] = fmt.Sprintf("%d messages; first: %.160s", len(msgs), msgs[0])
			}
			evidence("delivered at the receiving servers", summary)
			if len(skipped) > 0 {
				evidence("channels not checked on this machine", skipped)
			}
			Expect(skipped).To(Or(BeEmpty(), HaveLen(1)), "at most the audio channel may be missing from a target: %v", skipped)
		})

		It("sends event notifications only once the general and the notification arming are on", Label("PBD-2"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			rx := newReceivers()
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
			rx := newReceivers()
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
			s.enableMonitor(ctx, admin, "storage_available")
			faults, ok := s.env.Target.(target.CardWriteFaults)
			if !ok {
				Skip("not applicable: the target cannot inject card write errors")
			}
			faults.FailCardWrites(1)
			Expect(s.runMonitor(ctx, admin, "storage_available").Result).To(Equal("fail"))
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
			crd := s.cardOf()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			ch := map[string]any{"id": "led", "type": "led", "line": "led", "repeat": 1, "on": []string{notify.KindStorageFailure}}
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"notify": map[string]any{"channels": []any{ch}}})
			s.enableMonitor(ctx, admin, "storage_available")
			_, before, err := lines.Line("led")
			Expect(err).NotTo(HaveOccurred())
			crd.EjectCard()
			failed := s.runMonitor(ctx, admin, "storage_available")
			Expect(failed.Result).To(Equal("fail"))
			// The pattern runs on the camera's clock: keep moving it on until the LED has flashed and is
			// off again.
			var flashes []target.Edge
			Eventually(func(g Gomega) {
				g.Expect(clk.Advance(100 * time.Millisecond)).To(Succeed())
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
			Expect(flashes[0].Time.Before(failed.Time)).To(BeFalse(), "the flashing follows the failure")
			Expect(flashes[len(flashes)-1].Level).To(BeEquivalentTo(false), "the LED ends off")
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
	closers []func()
}

func newReceivers() *receivers { return &receivers{} }

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
	srv, err := peers.StartVsftpd()
	if err != nil {
		return "ftp", nil, err
	}
	r.vsftpd = srv
	r.closers = append(r.closers, func() { _ = srv.Close() })
	host, port := splitHostPort(srv.Addr)
	return "ftp", map[string]any{"type": "ftp", "host": host, "port": port, "username": srv.User, "password": srv.Password, "dir": "alarms"}, nil
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
	broker, err := peers.StartMosquitto(peers.MosquittoOptions{Username: "camera", Password: receiverPassword})
	if err != nil {
		return "mqtt", nil, err
	}
	r.broker = broker
	r.closers = append(r.closers, func() { _ = broker.Close() })
	opts := mqtt.NewClientOptions().AddBroker(broker.BrokerURL).SetClientID("vsslab-spec").SetUsername("camera").SetPassword(receiverPassword)
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
	return "mqtt", map[string]any{"type": "mqtt", "host": host, "port": port, "topic": "cam/alarms", "username": "camera", "password": receiverPassword}, nil
}

func (r *receivers) sip() (string, map[string]any, error) {
	srv, err := peers.StartSIPp()
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

// sipMessages decodes the call sipp answered: the kind whose tones its RTP audio carries.
func sipMessages(r *peers.SIPp) []string {
	var audio []byte
	for _, p := range r.RTPPackets() {
		if len(p) > 12 {
			audio = append(audio, p[12:]...)
		}
	}
	if len(audio) == 0 {
		return nil
	}
	for _, k := range []string{notify.KindStorageFailure, notify.KindStorageRecovered, notify.KindStorageFull} {
		tone := notify.RenderTone(k, 1)
		if len(audio) >= len(tone) && string(audio[:len(tone)]) == string(tone) {
			return []string{k}
		}
	}
	return []string{"unknown"}
}
