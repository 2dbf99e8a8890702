package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

// privacyByDefault: PBD-1..5, the camera's factory state (GDPR Art. 25(2)).
func privacyByDefault(s *suite) {
	Describe("Privacy by default", func() {
		It("ships with the microphone off, and only an admin can switch it on", Label("PBD-1"), func(ctx SpecContext) {
			Expect(s.settings(ctx, factoryAdmin())).To(HaveKeyWithValue("microphone", HaveKeyWithValue("enabled", false)))
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			viewer := s.addAccount(ctx, admin, "viewer", "guest")
			head := s.auditHead(ctx, admin)

			byUser := s.expectStatus(ctx, 403, operator, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			Expect(byUser.ErrorCode()).To(Equal("forbidden"))
			byGuest := s.expectStatus(ctx, 403, viewer, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			byAnon := s.do(ctx, Cred{}, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			Expect(byAnon.Status).To(BeElementOf(401, 403))
			Expect(s.settings(ctx, admin)).To(HaveKeyWithValue("microphone", HaveKeyWithValue("enabled", false)), "a refused attempt changes nothing")

			denied := find(s.audit(ctx, admin, head), "settings.change", "microphone.enabled")
			Expect(denied).To(HaveLen(1), "the user-level attempt is audited once")
			Expect(denied[0].Actor).To(Equal("operator"))
			Expect(denied[0].Outcome).To(Equal("denied"))

			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			Expect(s.settings(ctx, admin)).To(HaveKeyWithValue("microphone", HaveKeyWithValue("enabled", true)))
			evidence("factory microphone.enabled", false)
			evidence("refusals", map[string]int{"user": byUser.Status, "guest": byGuest.Status, "anonymous": byAnon.Status})
			evidence("audit entry of the user's attempt", map[string]string{"actor": denied[0].Actor, "action": denied[0].Action, "target": denied[0].Target, "outcome": denied[0].Outcome})
		})

		It("ships with event control and analytics disarmed, and arms each area on its own", Label("PBD-2"), func(ctx SpecContext) {
			factory := s.settings(ctx, factoryAdmin())
			Expect(factory["arming"]).To(Equal(map[string]any{"general": false, "storage": false, "actions": false, "notifications": false}))
			Expect(factory["analytics"]).To(Equal(map[string]any{"enabled": false}))
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			// Each event is recorded before the camera answers; this is no arming.
			s.patchStorage(ctx, admin, map[string]any{"pre_event": "0s", "post_event": "0s"})

			obs, observed := s.env.Target.(target.Observed)
			crd, hasCard := s.env.Target.(target.Card)
			input, hasInput := s.env.Target.(target.MotionInput)
			outbound := func() int {
				if !observed {
					return 0
				}
				return len(obs.OutboundAttempts())
			}
			sentBefore := outbound()
			seen := eventIDs(s.events(ctx, operator))
			window := func() []recordingInfo {
				GinkgoHelper()
				// Without a virtual clock the camera's clock is near the host's.
				at := time.Now()
				if c, ok := s.env.Target.(target.Clocked); ok {
					at = c.Clock().Now()
				}
				return s.searchAround(ctx, operator, at)
			}
			// stimulate raises a motion stimulus on every path the target has (the motion input
			// line, and the API) and returns the events the camera noted for them.
			stimulate := func(when string) []cameraEvent {
				GinkgoHelper()
				want := 1
				if hasInput {
					Expect(input.PulseMotion()).To(Succeed())
					want++
				}
				s.postEvent(ctx, operator, "manual")
				var got []cameraEvent
				Eventually(func(g Gomega) {
					got = newEvents(s.events(ctx, operator), seen)
					g.Expect(got).To(HaveLen(want), "%s: one event per stimulus", when)
				}).WithContext(ctx).WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
				for _, e := range got {
					seen[e.ID] = true
				}
				return got
			}
			nothingRecorded := func(when string, events []cameraEvent) {
				GinkgoHelper()
				for _, e := range events {
					Expect(e.Recorded).To(BeFalse(), "%s: %+v", when, e)
					Expect(e.Record).To(BeEmpty(), "%s: %+v", when, e)
				}
				Expect(window()).To(BeEmpty(), "%s: the image search finds nothing", when)
				if hasCard {
					Expect(recordFiles(crd.CardDir())).To(BeEmpty(), "%s: the card holds no record", when)
				}
			}
			results := map[string]any{}

			factoryEvents := stimulate("factory state")
			kinds := []string{}
			for _, e := range factoryEvents {
				Expect(e.Armed).To(BeFalse(), "factory state: %+v", e)
				kinds = append(kinds, e.Kind)
			}
			if hasInput {
				Expect(kinds).To(ContainElement("input"), "the motion input line raised an event")
			}
			nothingRecorded("factory state", factoryEvents)
			results["factory state"] = factoryEvents

			steps := []string{"general", "storage", "actions", "notifications"}
			changed := map[string][]any{}
			var recorded []cameraEvent
			for i, area := range steps {
				resp := s.expectStatus(ctx, 200, operator, "PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{area: true}})
				body := resp.Map()
				Expect(body["changed"]).To(Equal([]any{"arming." + area}), "arming %s changes only that area", area)
				arming := body["settings"].(map[string]any)["arming"].(map[string]any)
				for j, other := range steps {
					Expect(arming[other]).To(Equal(j <= i), "after arming %v, %s", steps[:i+1], other)
				}
				changed[area] = body["changed"].([]any)
				switch area {
				case "general":
					evs := stimulate("general armed alone")
					nothingRecorded("general armed alone", evs)
					results["general armed alone"] = evs
				case "storage":
					evs := stimulate("general and storage armed")
					ids := eventIDs(evs)
					Eventually(func(g Gomega) {
						evs = nil
						for _, e := range s.events(ctx, operator) {
							if ids[e.ID] {
								evs = append(evs, e)
								g.Expect(e.Recorded).To(BeTrue(), "%+v", e)
								g.Expect(e.Record).NotTo(BeEmpty())
							}
						}
						g.Expect(evs).To(HaveLen(len(ids)))
					}).WithContext(ctx).WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
					recorded = evs
					for _, e := range evs {
						Expect(e.Armed).To(BeTrue(), "%+v", e)
						Expect(recordingIDs(window())).To(ContainElement(e.Record))
						if hasCard {
							Expect(recordFileOf(crd.CardDir(), e.Record)).To(HaveSuffix(".vsr"), "the card holds the record of %+v", e)
						}
					}
					if observed {
						Expect(outbound()).To(Equal(sentBefore), "storage armed, notifications not: nothing is sent")
					}
					results["general and storage armed"] = evs
				}
			}
			if observed {
				Expect(outbound()).To(Equal(sentBefore), "no stimulus made the camera connect out")
				evidence("outbound connection attempts during the stimuli", outbound()-sentBefore)
			} else {
				evidence("outbound connection attempts", "not observable on this target")
			}
			// The video motion detector (on by default) records people walking through the scene once
			// storage is armed: move time a frame at a time, each time once the camera waits for it.
			clk := s.clock()
			seen = eventIDs(s.events(ctx, operator))
			var motion []cameraEvent
			for step := 0; step < 100 && len(motion) == 0; step++ {
				due := clk.Now().Add(200 * time.Millisecond)
				Eventually(clk.Pending).WithContext(ctx).WithTimeout(5*time.Second).WithPolling(time.Millisecond).Should(ContainElement(due), "the recorder waits for its next frame")
				Expect(clk.Advance(200 * time.Millisecond)).To(Succeed())
				for _, e := range newEvents(s.events(ctx, operator), seen) {
					if e.Kind == "motion" {
						motion = append(motion, e)
					}
				}
			}
			Expect(motion).NotTo(BeEmpty(), "people walking through the scene raise a motion event")
			Expect(motion[0].Source).To(Equal("video"))
			Expect(motion[0].Armed).To(BeTrue())
			Expect(motion[0].Recorded).To(BeTrue())
			if observed {
				Expect(outbound()).To(Equal(sentBefore), "a recorded motion event sends nothing while notifications are off")
			}
			evidence("stimuli", map[string]bool{"motion input line": hasInput, "POST /api/v1/events": true, "people walking (video motion)": true})
			summary := map[string][]string{}
			for state, evs := range results {
				for _, e := range evs.([]cameraEvent) {
					summary[state] = append(summary[state], fmt.Sprintf("%s from %s: armed %t, recorded %t", e.Kind, e.Source, e.Armed, e.Recorded))
				}
				// The input line and the API are separate paths into the camera, so which of two
				// simultaneous stimuli it notes first is not part of the verdict; the evidence is
				// sorted so that the same seed gives the same report.
				sort.Strings(summary[state])
			}
			evidence("events per arming state", summary)
			evidence("first video motion event", fmt.Sprintf("%s from %s: armed %t, recorded %t", motion[0].Kind, motion[0].Source, motion[0].Armed, motion[0].Recorded))
			evidence("recorded events", len(recorded))
			evidence("factory arming", factory["arming"])
			evidence("factory analytics", factory["analytics"])
			evidence("keys changed by each arming step", changed)
		})

		It("ships with the certified-apps service disarmed, armable only by an admin", Label("PBD-3"), func(ctx SpecContext) {
			Expect(s.settings(ctx, factoryAdmin())).To(HaveKeyWithValue("apps", HaveKeyWithValue("armed", false)))
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			s.expectStatus(ctx, 403, operator, "PATCH", "/api/v1/settings", map[string]any{"apps": map[string]any{"armed": true}})
			Expect(s.settings(ctx, admin)).To(HaveKeyWithValue("apps", HaveKeyWithValue("armed", false)))
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"apps": map[string]any{"armed": true}})
			Expect(s.settings(ctx, admin)).To(HaveKeyWithValue("apps", HaveKeyWithValue("armed", true)))
			evidence("scope", "the app service's arming and who may change it; the camera runs no apps yet, so 'no app runs' holds trivially")
			evidence("factory apps.armed", false)
		})

		It("opens no outbound connection in factory state, and the update check needs an admin to switch it on", Label("PBD-4"), func(ctx SpecContext) {
			obs, ok := s.env.Target.(target.Observed)
			if !ok {
				Skip("not applicable: the target's outbound connections cannot be observed")
			}
			before := len(obs.OutboundAttempts())
			factory := s.settings(ctx, factoryAdmin())
			Expect(factory["update_check"]).To(HaveKeyWithValue("enabled", false))

			// A day of ordinary use in factory state: live images, settings, a reboot, time passing.
			for range 3 {
				s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/live.jpg", nil)
			}
			s.expectStatus(ctx, 200, factoryAdmin(), "PATCH", "/api/v1/settings", map[string]any{"image": map[string]any{"brightness": 60}})
			s.expectStatus(ctx, 200, factoryAdmin(), "POST", "/api/v1/system/reboot", nil)
			Expect(s.env.Target.PowerCycle(ctx)).To(Succeed())
			if c, ok := s.env.Target.(target.Clocked); ok {
				Expect(c.Clock().Advance(48 * time.Hour)).To(Succeed())
				s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/device", nil)
			}
			s.do(ctx, factoryAdmin(), "POST", "/api/v1/system/update-check", nil)
			inFactoryState := obs.OutboundAttempts()[before:]
			Expect(inFactoryState).To(BeEmpty(), "the camera tried to connect out in factory state")

			// The observer is not blind: once an admin switches the check on, the attempt is seen.
			var hits atomic.Int32
			updates := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			DeferCleanup(updates.Close)
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			enable := map[string]any{"update_check": map[string]any{"enabled": true, "url": updates.URL + "/firmware.json"}}
			s.expectStatus(ctx, 403, operator, "PATCH", "/api/v1/settings", enable)
			Expect(obs.OutboundAttempts()[before:]).To(BeEmpty())
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", enable)
			check := s.expectStatus(ctx, 200, admin, "POST", "/api/v1/system/update-check", nil)
			Expect(check.Map()).To(HaveKeyWithValue("ok", true))
			seen := obs.OutboundAttempts()[before:]
			host := updates.Listener.Addr().(*net.TCPAddr)
			Expect(seen).NotTo(BeEmpty())
			for _, a := range seen {
				Expect(a.Address).To(Equal(host.String()))
			}
			Expect(hits.Load()).To(BeNumerically(">=", 1))
			evidence("outbound attempts in factory state", len(inFactoryState))
			evidence("outbound attempts after an admin enabled the update check", len(seen))
		})

		It("returns every setting and the default credentials to factory state on reset, and destroys the keys", Label("PBD-5"), func(ctx SpecContext) {
			factory := s.settings(ctx, factoryAdmin())
			oldPin := s.env.Target.CertificateSHA256()
			admin := s.takeOwnership(ctx)
			s.addAccount(ctx, admin, "operator", "user")
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{
				"microphone":   map[string]any{"enabled": true},
				"arming":       map[string]any{"general": true, "storage": true, "actions": true, "notifications": true},
				"analytics":    map[string]any{"enabled": true},
				"apps":         map[string]any{"armed": true},
				"update_check": map[string]any{"enabled": true, "url": "https://127.0.0.1:9/never"},
				"access":       map[string]any{"public": false},
			})
			Expect(s.settings(ctx, admin)).NotTo(Equal(factory))
			// A recording under a storage keyword: its keys must not survive the reset.
			s.armRecording(ctx, admin, nil)
			s.setKeyword(ctx, admin, nil)
			old := s.recordEvent(ctx, admin)
			s.play(ctx, admin, old.Record)
			var keysBefore map[string]string
			if st, ok := s.env.Target.(target.Storage); ok {
				keysBefore = keyFileHashes(st.StateDir())
				Expect(keysBefore).NotTo(BeEmpty(), "the camera keeps its recording keys in its state directory")
			}

			s.resetThroughAPI(ctx, admin)
			newPin := s.env.Target.CertificateSHA256()
			Expect(newPin).NotTo(Equal(oldPin), "the TLS key is destroyed and a new one made")

			Expect(s.settings(ctx, factoryAdmin())).To(Equal(factory), "every setting is back to factory state")
			s.expectStatus(ctx, 401, admin, "GET", "/api/v1/settings", nil)
			s.expectStatus(ctx, 401, Cred{"operator", operatorPassword}, "GET", "/api/v1/settings", nil)
			var dev map[string]any
			Expect(s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/device", nil).JSON(&dev)).To(Succeed())
			Expect(dev).To(HaveKeyWithValue("factory_state", true))
			Expect(dev).To(HaveKeyWithValue("admin_password_default", true))

			again := s.takeOwnership(ctx)
			gone := s.do(ctx, again, "GET", recordingPath(old.Record), nil)
			Expect(gone.Status).To(Equal(404), "the old record is unknown to the camera: %s", gone)
			Expect(s.searchAround(ctx, again, s.clock().Now())).To(BeEmpty())
			leftOnCard := -1
			if crd, ok := s.env.Target.(target.Card); ok {
				leftOnCard = len(recordFiles(crd.CardDir()))
				Expect(leftOnCard).To(BeZero(), "the card's records are erased with their keys")
			}
			survivors := -1
			if st, ok := s.env.Target.(target.Storage); ok {
				after := keyFileHashes(st.StateDir())
				survivors = 0
				for name, sum := range keysBefore {
					if after[name] == sum {
						survivors++
					}
				}
				Expect(survivors).To(BeZero(), "no recording key survives the reset: before %v, after %v", keysBefore, after)
			}
			evidence("scope", "settings, credentials, the TLS key and the recording keys; copies the owner sent to a NAS stay readable with the keyword and the keyring copied beside them, as end-to-end copies should, until deleted there")
			evidence("old record after reset", gone.Status)
			evidence("records left on the card", leftOnCard)
			evidence("recording key files before the reset", sortedKeys(keysBefore))
			evidence("of them, unchanged after the reset", survivors)
			evidence("settings after reset equal factory settings", true)
			evidence("certificate changed by reset", newPin != oldPin)
			evidence("device after reset", dev)
		})
	})
}

// keyFileHashes are the SHA-256 of the recording key files in a camera's state directory (the
// device key, keyrings and sealed keyword-derived keys), by path.
func keyFileHashes(dir string) map[string]string {
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		n := d.Name()
		if strings.HasPrefix(n, "keyring-") || strings.HasPrefix(n, "master-") || n == "device.key" {
			b, err := os.ReadFile(p)
			if err == nil {
				sum := sha256.Sum256(b)
				out[strings.TrimPrefix(p, dir)] = hex.EncodeToString(sum[:])
			}
		}
		return nil
	})
	return out
}
