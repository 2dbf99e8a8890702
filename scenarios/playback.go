package scenarios

import (
	"fmt"
	"image"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// playbackRights: DEL-3 (playback limits per role), ACC-2 (dual control), MASK-5 (playback
// pixelation only authorised roles remove) and MASK-2 on the recording path (WP 3.2 c; GDPR Art. 25).
func playbackRights(s *suite) {
	Describe("Playback of recordings", func() {
		colourRect := [4]float64{0.125, 0.25, 0.25, 0.5}
		pixelRectF := [4]float64{0.5, 0.5, 0.375, 0.4375}
		const tile = 32

		It("refuses a playback reaching further back, or longer, than the role's limits", Label("DEL-3"), func(ctx SpecContext) {
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			s.armRecording(ctx, admin, nil)
			old := s.recordEvent(ctx, admin)
			Expect(clk.Advance(2 * time.Hour)).To(Succeed())
			recent := s.recordEvent(ctx, admin)
			Expect(clk.Advance(time.Minute)).To(Succeed())
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"playback": map[string]any{"limits": map[string]any{"user": map[string]any{"max_age": "1h", "max_length": "10m"}}}})
			now := clk.Now().Truncate(time.Second)

			refusals := map[string]string{}
			refuse := func(what, method, path string) {
				GinkgoHelper()
				resp := s.expectStatus(ctx, 403, operator, method, path, nil)
				Expect(resp.ErrorCode()).To(Equal("playback_limit"), what)
				refusals[what] = resp.ErrorCode()
			}
			refuse("search reaching back 2 h (window 5 min)", "GET", searchPath(now.Add(-2*time.Hour), now.Add(-115*time.Minute)))
			refuse("search window of 20 min", "GET", searchPath(now.Add(-20*time.Minute), now))
			refuse("record 2 h old", "GET", recordingPath(old.Record))

			Expect(recordingIDs(s.search(ctx, operator, now.Add(-5*time.Minute), now))).To(ConsistOf(recent.Record), "within the limits")
			s.play(ctx, operator, recent.Record)
			// The limits are the user role's: the admin's are unset (0s, only the deletion period).
			s.play(ctx, admin, old.Record)
			Expect(recordingIDs(s.search(ctx, admin, now.Add(-3*time.Hour), now))).To(ConsistOf(old.Record, recent.Record))

			evidence("user limits", map[string]string{"max_age": "1h", "max_length": "10m"})
			evidence("refused (403)", refusals)
			evidence("allowed", []string{"search of the last 5 min", "record 1 min old", "admin: record 2 h old, search of 3 h"})
		})

		It("plays a record back only after one, then two, other supervisors approved, and audits who did", Label("ACC-2"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			user := s.addAccount(ctx, admin, "operator", "user")
			sup1 := s.addAccountWithRights(ctx, admin, "sam", "user", []string{"supervisor"})
			sup2 := s.addAccountWithRights(ctx, admin, "sue", "user", []string{"supervisor"})
			plain := s.addAccountWithRights(ctx, admin, "victor", "user", []string{})
			s.armRecording(ctx, admin, nil)
			rec := s.recordEvent(ctx, admin)
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"playback": map[string]any{"approvals_required": 1}})
			head := s.auditHead(ctx, admin)

			waiting := func(cred Cred, id string, approvals int) Response {
				GinkgoHelper()
				resp := s.expectStatus(ctx, 403, cred, "GET", recordingPath(id), nil)
				Expect(resp.ErrorCode()).To(Equal("approval_required"))
				Expect(resp.Map()).To(HaveKeyWithValue("approvals", BeNumerically("==", approvals)))
				Expect(resp.Body).NotTo(ContainSubstring(`"frames"`))
				return resp
			}
			approve := func(by Cred, id, requester string) Response {
				GinkgoHelper()
				resp := s.do(ctx, by, "POST", recordingPath(id)+"/approvals", map[string]string{"requester": requester})
				Expect(resp.Status).To(BeElementOf(200, 201), "%s approves %s's playback: %s", by.Name, requester, resp)
				return resp
			}
			first := waiting(user, rec.Record, 0)
			Expect(first.Map()).To(HaveKeyWithValue("required", BeNumerically("==", 1)))
			selfByUser := s.expectStatus(ctx, 403, user, "POST", recordingPath(rec.Record)+"/approvals", map[string]string{"requester": user.Name})
			waiting(sup1, rec.Record, 0)
			selfBySupervisor := s.expectStatus(ctx, 403, sup1, "POST", recordingPath(rec.Record)+"/approvals", map[string]string{"requester": sup1.Name})
			noRight := s.expectStatus(ctx, 403, plain, "POST", recordingPath(rec.Record)+"/approvals", map[string]string{"requester": user.Name})
			byAdmin := s.expectStatus(ctx, 403, admin, "POST", recordingPath(rec.Record)+"/approvals", map[string]string{"requester": user.Name})
			waiting(user, rec.Record, 0)

			approve(sup1, rec.Record, user.Name)
			s.play(ctx, user, rec.Record)

			entries := s.audit(ctx, admin, head)
			Expect(findBy(entries, "playback.request", user.Name)).NotTo(BeEmpty(), "the request is audited")
			var approvals []auditEntry
			for _, e := range findBy(entries, "playback.approve", sup1.Name) {
				if e.Outcome == "ok" {
					approvals = append(approvals, e)
				}
			}
			Expect(approvals).To(HaveLen(1), "the approval is audited with the approver")
			Expect(findBy(entries, "playback", user.Name)).NotTo(BeEmpty(), "the playback is audited")

			// Six eyes: two other supervisors.
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"playback": map[string]any{"approvals_required": 2}})
			rec2 := s.recordEvent(ctx, admin)
			second := waiting(user, rec2.Record, 0)
			Expect(second.Map()).To(HaveKeyWithValue("required", BeNumerically("==", 2)))
			approve(sup1, rec2.Record, user.Name)
			waiting(user, rec2.Record, 1)
			approve(sup2, rec2.Record, user.Name)
			s.play(ctx, user, rec2.Record)
			approvers := []string{}
			for _, e := range findBy(s.audit(ctx, admin, head), "playback.approve", "") {
				if e.Outcome == "ok" {
					approvers = append(approvers, e.Actor)
				}
			}
			Expect(approvers).To(Equal([]string{sup1.Name, sup1.Name, sup2.Name}))

			evidence("four eyes: refused before approval", first.String())
			evidence("refused approvals", map[string]int{"own request (user)": selfByUser.Status, "own request (supervisor)": selfBySupervisor.Status, "account without the supervisor right": noRight.Status, "admin without the supervisor right": byAdmin.Status})
			evidence("six eyes: refused before approvals", second.String())
			evidence("approvers audited", approvers)
		})

		It("pixelates playback masks for every viewer without the unmask right, and keeps in-camera masks for all", Label("MASK-5"), func(ctx SpecContext) {
			if s.env.Model == "move" {
				Skip("not applicable: the move model has colour zones only, no playback pixelation (WP 2.2 b)")
			}
			truthAt := s.truthAt()
			admin := s.takeOwnership(ctx)
			viewer := s.addAccount(ctx, admin, "operator", "user")
			unmasker := s.addAccountWithRights(ctx, admin, "una", "user", []string{"unmask"})
			s.setMasks(ctx, admin, []map[string]any{
				{"id": "desk", "rect": pixelRectF, "style": "playback", "tile": tile},
				{"id": "door", "rect": colourRect, "style": "color", "color": maskColour},
			})
			s.armRecording(ctx, admin, nil)
			rec := s.recordEvent(ctx, admin)

			results := map[string]any{}
			for _, who := range []Cred{viewer, admin, unmasker} {
				played, frames := s.play(ctx, who, rec.Record)
				unmasked := who == unmasker
				Expect(played.PlaybackMasked).To(Equal(!unmasked), "playback_masked for %s", who.Name)
				worst := map[string]float64{}
				for i, out := range frames {
					src := truthAt(played.Frames[i].Captured)
					Expect(out.Bounds()).To(Equal(src.Bounds()))
					w, h := src.Bounds().Dx(), src.Bounds().Dy()
					colourArea, pixArea := pixelRect(colourRect, w, h), pixelRect(pixelRectF, w, h)
					dev := maxDeviation(out, colourArea, maskYCbCr())
					Expect(dev).To(BeNumerically("<=", colourTolerance), "%s, frame %d: the in-camera colour mask stays", who.Name, i)
					Expect(lumaVariance(src, pixArea)).To(BeNumerically(">", 100), "the source had detail there")
					residual := residualCorrelation(out, src, pixArea, tile)
					if unmasked {
						Expect(residual).To(BeNumerically(">", 0.8), "%s, frame %d: the unmask right shows the detail", who.Name, i)
						Expect(lumaCorrelation(out, src, pixArea)).To(BeNumerically(">=", 0.9))
					} else {
						spread, meanErr, tiles := tileStats(out, src, pixArea, tile)
						Expect(tiles).To(BeNumerically(">=", 4))
						Expect(spread).To(BeNumerically("<=", flatTolerance), "%s, frame %d: flat tiles", who.Name, i)
						Expect(meanErr).To(BeNumerically("<=", meanTolerance), "%s, frame %d: each tile is its mean", who.Name, i)
						Expect(residual).To(BeNumerically("<", 0.05))
						worst["tile spread"] = max(worst["tile spread"], spread)
					}
					worst["colour deviation"] = max(worst["colour deviation"], float64(dev))
					worst["residual correlation"] = max(worst["residual correlation"], round3(residual))
					if i == 0 {
						evidence(fmt.Sprintf("first frame played to %s", who.Name), evidencePicture(src, out, colourArea, pixArea))
					}
				}
				results[who.Name] = map[string]any{"unmask right": unmasked, "playback_masked": played.PlaybackMasked, "frames": len(frames), "worst": worst}
			}
			evidence("playback per viewer", results)
		})

		It("masks every recorded frame in the camera before encoding", Label("MASK-2"), func(ctx SpecContext) {
			truthAt := s.truthAt()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			colourOnly := s.env.Model == "move"
			masks := []map[string]any{{"id": "door", "rect": colourRect, "style": "color", "color": maskColour}}
			if !colourOnly {
				masks = append(masks, map[string]any{"id": "desk", "rect": pixelRectF, "style": "pixelate", "tile": tile})
			}
			s.armRecording(ctx, admin, nil)
			// The first record after the mask change is masked already.
			s.setMasks(ctx, admin, masks)
			var recs []cameraEvent
			for range 3 {
				recs = append(recs, s.recordEvent(ctx, admin))
				Expect(clk.Advance(1500 * time.Millisecond)).To(Succeed())
			}
			checked, worstDev, worstResidual, worstSpread := 0, 0, 0.0, 0.0
			var picture map[string]string
			for _, ev := range recs {
				played, frames := s.play(ctx, admin, ev.Record)
				for i, out := range frames {
					src := truthAt(played.Frames[i].Captured)
					w, h := src.Bounds().Dx(), src.Bounds().Dy()
					colourArea := s.maskArea(ctx, admin, colourRect, w, h)
					Expect(lumaVariance(src, colourArea)).To(BeNumerically(">", 100), "the source varies inside the colour mask")
					dev := maxDeviation(out, colourArea, maskYCbCr())
					Expect(dev).To(BeNumerically("<=", colourTolerance), "record %s frame %d: the colour area holds only the colour", ev.Record, i)
					worstDev = max(worstDev, dev)
					areas := []image.Rectangle{colourArea}
					if !colourOnly {
						pixArea := pixelRect(pixelRectF, w, h)
						spread, _, _ := tileStats(out, src, pixArea, tile)
						Expect(spread).To(BeNumerically("<=", flatTolerance), "record %s frame %d: flat tiles", ev.Record, i)
						residual := residualCorrelation(out, src, pixArea, tile)
						Expect(residual).To(BeNumerically("<", 0.05), "record %s frame %d: no detail finer than a tile", ev.Record, i)
						// The control region lies beside the pixelation and below the colour area.
						control := residualCorrelation(out, src, image.Rect(0, max(pixArea.Min.Y, colourArea.Max.Y), pixArea.Min.X-tile, pixArea.Max.Y), tile)
						Expect(control).To(BeNumerically(">", 0.8), "the measure sees detail where nothing is masked")
						worstResidual, worstSpread = max(worstResidual, residual), max(worstSpread, spread)
						areas = append(areas, pixArea)
					}
					if picture == nil {
						picture = evidencePicture(src, out, areas...)
					}
					checked++
				}
			}
			evidence("output path", "recordings (GET /api/v1/recordings/{id}), each frame against the ground truth at its capture time")
			evidence("frames checked", checked)
			evidence("colour mask: max deviation", worstDev)
			if !colourOnly {
				evidence("pixelation: max tile spread", worstSpread)
				evidence("pixelation: max residual correlation", round3(worstResidual))
			}
			evidence("first recorded frame", picture)
		})
	})
}
