package scenarios

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/camera/record"
	"vsslab/scenarios/target"
)

// deletionPeriods: DEL-1, DEL-2, DEL-4 (WP 2.1.4 b; GDPR Art. 5(1)(e), 17; EDPB Guidelines 3/2019 §8)
// and DSR-2, erasure of a time window (GDPR Art. 17).
func deletionPeriods(s *suite) {
	Describe("Deletion periods", func() {
		It("ships with a 72-hour deletion period, and a full card makes the camera raise an alarm rather than delete", Label("DEL-4"), func(ctx SpecContext) {
			factory := s.storageSettings(ctx, factoryAdmin())
			Expect(durationSetting(factory, "deletion_period")).To(Equal(72*time.Hour), "EDPB Guidelines 3/2019: 72 hours")
			crd := s.cardOf()
			admin := s.takeOwnership(ctx)
			s.armRecording(ctx, admin, nil)
			made := []cameraEvent{s.recordEvent(ctx, admin), s.recordEvent(ctx, admin)}
			dir := crd.CardDir()
			before := hashFiles(dir)
			seen := eventIDs(s.events(ctx, admin))
			head := s.auditHead(ctx, admin)

			used := crd.CardUsed()
			crd.SetCardCapacity(used)
			full := s.postEvent(ctx, admin, "manual")
			Expect(full.Recorded).To(BeFalse(), "nothing fits on a full card: %+v", full)
			var alarm []cameraEvent
			Eventually(func(g Gomega) {
				alarm = nil
				for _, e := range newEvents(s.events(ctx, admin), seen) {
					if e.Kind == "storage_full" {
						alarm = append(alarm, e)
					}
				}
				g.Expect(alarm).NotTo(BeEmpty(), "a storage_full event")
			}).WithContext(ctx).WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
			audited := findBy(s.audit(ctx, admin, head), "storage.full", "")
			Expect(audited).NotTo(BeEmpty(), "an audit entry storage.full")
			storage := s.expectStatus(ctx, 200, admin, "GET", "/api/v1/storage", nil).Map()
			Expect(storage).To(HaveKeyWithValue("storage_full", true))

			Expect(hashFiles(dir)).To(Equal(before), "no record disappeared or changed to make room")
			for _, ev := range made {
				s.play(ctx, admin, ev.Record)
			}

			// Room again: recording resumes by itself.
			crd.SetCardCapacity(used + 64<<20)
			resumed := s.recordEvent(ctx, admin)

			evidence("factory deletion period", factory["deletion_period"])
			evidence("card", map[string]any{"used bytes": used, "capacity set to": used, "records before": sortedKeys(before)})
			evidence("event while full", full)
			evidence("storage_full events", alarm)
			evidence("audit entry", map[string]any{"action": audited[0].Action, "actor": audited[0].Actor, "detail": audited[0].Detail})
			evidence("records unchanged (sha256) and playable", len(made))
			evidence("recorded again once there was room", resumed.Record)
		})

		It("makes a record unreadable everywhere from its deadline on: API, card and NAS", Label("DEL-1"), func(ctx SpecContext) {
			clk := s.clock()
			crd := s.cardOf()
			admin := s.takeOwnership(ctx)
			nasDir, nasURL := newNAS()
			s.setKeyword(ctx, admin, map[string]any{"nas": nasURL, "deletion_period": "1h"})
			s.armRecording(ctx, admin, nil)
			st := s.storageSettings(ctx, admin)
			g, p := durationSetting(st, "shred_granularity"), durationSetting(st, "deletion_period")
			Expect(p).To(Equal(time.Hour))

			ev := s.recordEvent(ctx, admin)
			var rec recordingInfo
			for _, r := range s.searchAround(ctx, admin, clk.Now()) {
				if r.ID == ev.Record {
					rec = r
				}
			}
			Expect(rec.ID).To(Equal(ev.Record), "the record is listed")
			cardDir := crd.CardDir()
			cardName := recordFileOf(cardDir, ev.Record)
			Expect(cardName).NotTo(BeEmpty())
			rn, _ := parseRecordName(cardName)
			Expect(rn.Bucket).To(Equal(bucketStart(rec.Start, g)), "the record's bucket is its time floored to the granularity")
			due := deadline(rn.Bucket, g, p)
			cardCopy, _ := readRecordFile(cardDir, cardName)

			keyringPath := filepath.Join(nasDir, keyringName(rn.Gen))
			var nasCopy []byte
			Eventually(func(gm Gomega) {
				data, err := os.ReadFile(filepath.Join(nasDir, cardName))
				gm.Expect(err).NotTo(HaveOccurred())
				gm.Expect(keyringPath).To(BeARegularFile())
				nasCopy = data
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).Should(Succeed())
			var kc keyringCache
			k, err := kc.open(keyringPath, recordKeyword)
			Expect(err).NotTo(HaveOccurred())
			_, _, err = openWithClient(k, nasCopy)
			Expect(err).NotTo(HaveOccurred(), "control: before its deadline the client opens the NAS copy")

			advanceTo(clk, rec.Start.Add(p-time.Second))
			s.play(ctx, admin, ev.Record)
			stillThere := clk.Now()

			advanceTo(clk, due.Add(time.Second))
			status := s.expectGone(ctx, admin, ev.Record)
			Expect(recordingIDs(s.search(ctx, admin, rec.Start.Add(-time.Hour), clk.Now()))).NotTo(ContainElement(ev.Record))
			verdicts := map[string]string{}
			Eventually(func(gm Gomega) {
				data, err := os.ReadFile(keyringPath)
				gm.Expect(err).NotTo(HaveOccurred())
				var kr keyringJSON
				gm.Expect(json.Unmarshal(data, &kr)).To(Succeed())
				gm.Expect(kr.Destroyed).To(ContainElement(rn.Bucket.Unix()), "the NAS keyring lists the bucket as destroyed")
				k, err := kc.open(keyringPath, recordKeyword)
				gm.Expect(err).NotTo(HaveOccurred())
				copies := map[string][]byte{"NAS copy taken before": nasCopy, "card copy taken before": cardCopy}
				if raw, err := os.ReadFile(filepath.Join(cardDir, cardName)); err == nil {
					copies["card file"] = raw
				} else {
					verdicts["card file"] = "removed"
				}
				if raw, err := os.ReadFile(filepath.Join(nasDir, cardName)); err == nil {
					copies["NAS file"] = raw
				} else {
					verdicts["NAS file"] = "removed"
				}
				for what, raw := range copies {
					_, frames, err := record.Open(k, raw)
					gm.Expect(frames).To(BeNil())
					gm.Expect(errIs(err, record.ErrKeyDestroyed, record.ErrUnknownBucket)).To(BeTrue(), "%s: %v", what, err)
					verdicts[what] = errorClass(err)
				}
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(100 * time.Millisecond).Should(Succeed())

			evidence("record", map[string]any{"start": rec.Start, "bucket": rn.Bucket, "granularity": g.String(), "period": p.String(), "deadline": due})
			evidence("played back at start + period − 1 s", stillThere)
			evidence("API at deadline + 1 s", status)
			evidence("client with the keyword and the NAS keyring, after the deadline", verdicts)
		})

		It("removes records past the deletion period from the NAS", Label("DEL-2"), func(ctx SpecContext) {
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			nasDir, nasURL := newNAS()
			s.setKeyword(ctx, admin, map[string]any{"nas": nasURL, "deletion_period": "1h"})
			s.armRecording(ctx, admin, nil)
			st := s.storageSettings(ctx, admin)
			g, p := durationSetting(st, "shred_granularity"), durationSetting(st, "deletion_period")

			var made []cameraEvent
			for range 8 {
				made = append(made, s.recordEvent(ctx, admin))
				Expect(clk.Advance(30 * time.Minute)).To(Succeed())
			}
			// One more record: the NAS worker removes expired files on its next transfer round.
			last := s.recordEvent(ctx, admin)
			now := clk.Now()
			var listing []map[string]any
			Eventually(func(gm Gomega) {
				listing = nil
				expired := 0
				for _, rn := range recordFiles(nasDir) {
					due := deadline(rn.Bucket, g, p)
					listing = append(listing, map[string]any{"file": rn.Name, "bucket": rn.Bucket, "deadline": due})
					if due.Before(now) {
						expired++
					}
				}
				gm.Expect(expired).To(BeZero(), "no NAS file is past its deletion period")
				gm.Expect(recordFileOf(nasDir, last.Record)).NotTo(BeEmpty(), "the newest record is on the NAS")
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
			gone := 0
			for _, ev := range made {
				if recordFileOf(nasDir, ev.Record) == "" {
					gone++
				}
			}
			Expect(gone).To(BeNumerically(">=", 1), "the check is not vacuous: some records were past their period and went")

			evidence("now", now)
			evidence("period and granularity", []string{p.String(), g.String()})
			evidence("NAS listing", listing)
			evidence("records removed from the NAS", gone)
		})

		It("keeps to the deletion period through 30 days of an event a minute", Label("DEL-1", "DEL-2", "slow"), SpecTimeout(45*time.Minute), func(ctx SpecContext) {
			clk := s.clock()
			if sc, ok := s.env.Target.(target.Scenery); ok {
				// A still scene: the run is about the deletion period, not about encoding 43,200
				// different pictures.
				Expect(sc.ShowScene(ctx, "still")).To(Succeed())
				s.api.Reset()
			}
			admin := s.takeOwnership(ctx)
			nasDir, nasURL := newNAS()
			s.setKeyword(ctx, admin, map[string]any{"nas": nasURL, "deletion_period": "24h"})
			s.armRecording(ctx, admin, nil)
			st := s.storageSettings(ctx, admin)
			g, p := durationSetting(st, "shred_granularity"), durationSetting(st, "deletion_period")
			crd, hasCard := s.env.Target.(target.Card)
			if hasCard {
				// Room for a period's records whatever the bench card's size: this is not DEL-4.
				crd.SetCardCapacity(crd.CardUsed() + 8<<30)
			}
			places := map[string]string{"NAS": nasDir}
			if hasCard {
				places["card"] = crd.CardDir()
			}

			type made struct {
				at time.Time
				id string
			}
			var all []made
			const days = 30
			startedAt, wall := clk.Now(), time.Now()
			event := map[string]string{"kind": "manual"}
			var daily []map[string]any
			for day := 1; day <= days; day++ {
				for range 24 * 60 {
					resp := s.do(ctx, admin, "POST", "/api/v1/events", event)
					var body struct {
						Event cameraEvent `json:"event"`
					}
					if resp.Status != 201 || resp.JSON(&body) != nil || !body.Event.Recorded {
						Fail("event at " + clk.Now().Format(time.RFC3339) + " not recorded: " + resp.String())
					}
					all = append(all, made{clk.Now(), body.Event.Record})
					Expect(clk.Advance(time.Minute)).To(Succeed())
				}
				now := clk.Now()
				oldest := map[string]time.Time{}
				Eventually(func(gm Gomega) {
					for where, dir := range places {
						first := time.Time{}
						for _, rn := range recordFiles(dir) {
							gm.Expect(deadline(rn.Bucket, g, p).Before(now)).To(BeFalse(), func() string {
								status := s.do(ctx, admin, "GET", "/api/v1/storage", nil)
								return fmt.Sprintf("day %d: %s holds %s past its deadline; storage status %s", day, where, rn.Name, status)
							})
							if first.IsZero() || rn.Bucket.Before(first) {
								first = rn.Bucket
							}
						}
						oldest[where] = first
					}
				}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
				row := map[string]any{"day": day}
				for where, b := range oldest {
					row["oldest bucket on the "+where+" (age)"] = now.Sub(b).String()
				}
				daily = append(daily, row)
			}
			now := clk.Now()
			elapsed := time.Since(wall)

			// The last period's records are all still there.
			var recent []string
			for _, m := range all {
				if m.at.After(now.Add(-p)) {
					recent = append(recent, m.id)
				}
			}
			Expect(recent).NotTo(BeEmpty())
			Expect(recordingIDs(s.search(ctx, admin, now.Add(-p), now))).To(ContainElements(recent), "the API lists the last period's records")
			counts := map[string]int{}
			Eventually(func(gm Gomega) {
				for where, dir := range places {
					held := map[string]bool{}
					for _, rn := range recordFiles(dir) {
						held[rn.ID] = true
					}
					for _, id := range recent {
						gm.Expect(held).To(HaveKey(id), "%s holds record %s of the last period", where, id)
					}
					counts[where] = len(held)
				}
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
			listed := s.search(ctx, admin, startedAt.Add(-time.Hour), now)
			for _, r := range listed {
				Expect(r.End.Before(now.Add(-p-g))).To(BeFalse(), "search lists %s from %s, older than period + granularity", r.ID, r.End)
			}

			evidence("virtual time run", now.Sub(startedAt).String())
			evidence("events (one a minute)", len(all))
			evidence("wall-clock duration", elapsed.Round(time.Second).String())
			evidence("period and granularity", []string{p.String(), g.String()})
			evidence("records of the last period still held", len(recent))
			evidence("records held at the end", counts)
			evidence("records listed by the API at the end", len(listed))
			evidence("daily check", daily)
		})

		It("erases a time window on request, everywhere, with a confirmation in the audit log", Label("DSR-2"), func(ctx SpecContext) {
			clk := s.clock()
			crd := s.cardOf()
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			nasDir, nasURL := newNAS()
			s.armRecording(ctx, admin, map[string]any{"nas": nasURL})
			t0 := clk.Now().Truncate(time.Second)
			var made []cameraEvent
			for range 5 {
				made = append(made, s.recordEvent(ctx, admin))
				Expect(clk.Advance(10 * time.Minute)).To(Succeed())
			}
			Eventually(func(g Gomega) {
				for _, ev := range made {
					g.Expect(recordFileOf(nasDir, ev.Record)).NotTo(BeEmpty())
				}
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).Should(Succeed())

			from, to := t0.Add(5*time.Minute), t0.Add(25*time.Minute) // the 2nd and 3rd records
			erased, kept := made[1:3], []cameraEvent{made[0], made[3], made[4]}
			path := searchPath(from, to)
			refused := s.expectStatus(ctx, 403, operator, "DELETE", path, nil)
			Expect(s.search(ctx, admin, t0.Add(-time.Minute), clk.Now())).To(HaveLen(5), "a refused erasure erases nothing")

			head := s.auditHead(ctx, admin)
			answer := s.expectStatus(ctx, 200, admin, "DELETE", path, nil).Map()
			Expect(answer).To(HaveKeyWithValue("erased", BeNumerically("==", 2)))
			for _, ev := range erased {
				s.expectStatus(ctx, 404, admin, "GET", recordingPath(ev.Record), nil)
				Expect(recordFileOf(crd.CardDir(), ev.Record)).To(BeEmpty(), "gone from the card")
			}
			Expect(recordingIDs(s.search(ctx, admin, t0.Add(-time.Minute), clk.Now()))).To(ConsistOf(kept[0].Record, kept[1].Record, kept[2].Record))
			Eventually(func(g Gomega) {
				for _, ev := range erased {
					g.Expect(recordFileOf(nasDir, ev.Record)).To(BeEmpty(), "gone from the NAS")
				}
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).Should(Succeed())
			for _, ev := range kept {
				s.play(ctx, admin, ev.Record)
				Expect(recordFileOf(nasDir, ev.Record)).NotTo(BeEmpty(), "records outside the window stay on the NAS")
			}
			confirmations := findBy(s.audit(ctx, admin, head), "recordings.erase", "admin")
			Expect(confirmations).To(HaveLen(1))
			Expect(confirmations[0].Outcome).To(Equal("ok"))
			Expect(confirmations[0].Detail).To(ContainElement("2"), "the entry names the count")
			window := []string{from.Format(time.RFC3339), to.Format(time.RFC3339)}
			named := 0
			for _, v := range confirmations[0].Detail {
				for _, w := range window {
					if strings.Contains(v, w) {
						named++
					}
				}
			}
			Expect(named).To(BeNumerically(">=", 2), "the entry names the window: %v", confirmations[0].Detail)

			evidence("window", window)
			evidence("user-level attempt", refused.String())
			evidence("answer", answer)
			evidence("erased records (404, off card and NAS)", []string{erased[0].Record, erased[1].Record})
			evidence("records outside the window still playable", len(kept))
			evidence("audit confirmation", map[string]any{"actor": confirmations[0].Actor, "action": confirmations[0].Action, "target": confirmations[0].Target, "detail": confirmations[0].Detail})
		})
	})
}
