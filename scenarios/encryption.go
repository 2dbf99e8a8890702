package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// nasTimeout bounds how long a spec waits for the camera's NAS worker, which runs on its own
// (wall-clock) schedule while virtual time stands still.
const nasTimeout = 10 * time.Second

// encryption: ENC-1..3 (WP 2.1.4 a; GDPR Art. 32(1)(a); EN 303 645 5.4; IEC 62443-4-2 CR 4.1).
func encryption(s *suite) {
	Describe("Encryption of records", func() {
		It("encrypts every new record from the reboot after a keyword is set, and leaves earlier records as they were", Label("ENC-1"), func(ctx SpecContext) {
			crd := s.cardOf()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			s.armRecording(ctx, admin, nil)
			dir := crd.CardDir()
			st := s.storageSettings(ctx, admin)
			Expect(st).To(HaveKeyWithValue("keyword_set", false))
			Expect(st).To(HaveKeyWithValue("encrypting", false))

			plainFile := func(ev cameraEvent) (string, string) {
				GinkgoHelper()
				name := recordFileOf(dir, ev.Record)
				Expect(name).To(HavePrefix("g0-"), "record %s is on the card as an unencrypted record", ev.Record)
				raw, h := readRecordFile(dir, name)
				Expect(h.Cipher).To(Equal(record.None))
				Expect(bytes.Contains(raw, jpegSOI)).To(BeTrue(), "a plain record shows its JPEG frames")
				Expect(bytes.Contains(raw, plainMetaKey)).To(BeTrue(), "and its metadata")
				sum := sha256.Sum256(raw)
				return name, hex.EncodeToString(sum[:])
			}
			before := s.recordEvent(ctx, admin)
			beforeName, beforeSum := plainFile(before)

			resp := s.patchStorage(ctx, admin, map[string]any{"keyword": recordKeyword})
			Expect(string(resp.Body)).NotTo(ContainSubstring(recordKeyword))
			settingsBody := s.expectStatus(ctx, 200, admin, "GET", "/api/v1/settings", nil).Body
			Expect(string(settingsBody)).NotTo(ContainSubstring(recordKeyword), "the keyword is write-only")
			st = s.storageSettings(ctx, admin)
			Expect(st).To(HaveKeyWithValue("keyword_set", true))
			Expect(st).To(HaveKeyWithValue("encrypting", false), "the keyword takes effect at the next reboot")
			Expect(st).NotTo(HaveKey("keyword"))

			pending := s.recordEvent(ctx, admin)
			pendingName, pendingSum := plainFile(pending)

			s.expectStatus(ctx, 200, admin, "POST", "/api/v1/system/reboot", nil)
			Expect(s.storageSettings(ctx, admin)).To(HaveKeyWithValue("encrypting", true))

			after := s.recordEvent(ctx, admin)
			afterName := recordFileOf(dir, after.Record)
			Expect(afterName).NotTo(BeEmpty())
			Expect(afterName).NotTo(HavePrefix("g0-"), "records after the reboot belong to the keyword's generation")
			raw, h := readRecordFile(dir, afterName)
			Expect(h.Cipher).To(Equal(record.AES256GCM), "the factory cipher")
			Expect(bytes.Contains(raw, jpegSOI)).To(BeFalse(), "no JPEG marker in ciphertext")
			Expect(bytes.Contains(raw, plainMetaKey)).To(BeFalse(), "no clear metadata")
			Expect(bytes.Contains(raw, []byte("manual"))).To(BeFalse(), "no clear event kind")

			// The earlier records are as they were, byte for byte, and still play.
			name, sum := plainFile(before)
			Expect([]string{name, sum}).To(Equal([]string{beforeName, beforeSum}), "the record before the keyword is byte-identical")
			name, sum = plainFile(pending)
			Expect([]string{name, sum}).To(Equal([]string{pendingName, pendingSum}), "the record before the reboot is byte-identical")
			listed := map[string]bool{}
			for _, r := range s.searchAround(ctx, admin, clk.Now()) {
				listed[r.ID] = r.Encrypted
			}
			Expect(listed).To(Equal(map[string]bool{before.Record: false, pending.Record: false, after.Record: true}))
			frames := map[string]int{}
			for _, ev := range []cameraEvent{before, pending, after} {
				rec, imgs := s.play(ctx, admin, ev.Record)
				Expect(rec.Encrypted).To(Equal(ev.Record == after.Record))
				frames[ev.Record] = len(imgs)
			}

			evidence("before the keyword", map[string]string{"file": beforeName, "sha256": beforeSum})
			evidence("keyword set, before the reboot", map[string]string{"file": pendingName, "sha256": pendingSum})
			evidence("after the reboot", map[string]any{"file": afterName, "cipher": string(h.Cipher), "bucket": h.Bucket, "contains a JPEG header": false, "contains \"kind\"": false})
			evidence("earlier records unchanged (sha256) and playable", true)
			evidence("frames played back per record", frames)
		})

		for _, cipher := range []record.Cipher{record.AES256GCM, record.XTEA128} {
			It(fmt.Sprintf("sends the NAS only %s ciphertext, which a client opens with the keyword and in which a flipped bit is detected", cipher), Label("ENC-2"), func(ctx SpecContext) {
				admin := s.takeOwnership(ctx)
				nasDir, nasURL := newNAS()
				s.setKeyword(ctx, admin, map[string]any{"cipher": string(cipher), "nas": nasURL})
				s.armRecording(ctx, admin, nil)
				var dev map[string]any
				Expect(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/device", nil).JSON(&dev)).To(Succeed())
				serial, _ := dev["serial"].(string)
				Expect(serial).NotTo(BeEmpty())

				clk := s.clock()
				var evs []cameraEvent
				for range 3 {
					evs = append(evs, s.recordEvent(ctx, admin))
					Expect(clk.Advance(7 * time.Second)).To(Succeed())
				}
				names := map[string]string{}
				Eventually(func(g Gomega) {
					for _, ev := range evs {
						name := recordFileOf(nasDir, ev.Record)
						g.Expect(name).NotTo(BeEmpty(), "record %s on the NAS", ev.Record)
						names[ev.Record] = name
					}
				}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).Should(Succeed())
				rn, _ := parseRecordName(names[evs[0].Record])
				Expect(rn.Gen).To(BeNumerically(">=", 1))
				keyringPath := filepath.Join(nasDir, keyringName(rn.Gen))
				Eventually(keyringPath).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).Should(BeARegularFile())

				// Nothing on the NAS tells what was recorded.
				leaks := filesContaining(nasDir, jpegSOI, []byte("frame_count"), plainMetaKey, []byte("manual"), []byte(serial))
				Expect(leaks).To(BeEmpty(), "the NAS holds only ciphertext")

				// The client opens every record with the keyword and the keyring beside them.
				listed := map[string]int{}
				for _, r := range s.searchAround(ctx, admin, clk.Now()) {
					listed[r.ID] = r.Frames
				}
				keyringData, err := os.ReadFile(keyringPath)
				Expect(err).NotTo(HaveOccurred())
				Expect(readKeyringJSON(keyringPath).Cipher).To(Equal(string(cipher)))
				started := time.Now()
				k, err := record.OpenKeyring(keyringData, recordKeyword, nil)
				derive := time.Since(started)
				Expect(err).NotTo(HaveOccurred())
				opened := map[string]int{}
				var sample []byte
				for _, ev := range evs {
					raw, h := readRecordFile(nasDir, names[ev.Record])
					Expect(h.Cipher).To(Equal(cipher))
					meta, frames, err := openWithClient(k, raw)
					Expect(err).NotTo(HaveOccurred(), "record %s", names[ev.Record])
					Expect(meta.Encrypted).To(BeTrue())
					Expect(meta.Kind).To(Equal("manual"))
					Expect(frames).To(HaveLen(listed[ev.Record]), "the client sees as many frames as the camera lists")
					rec, played := s.play(ctx, admin, ev.Record)
					Expect(played).To(HaveLen(len(frames)), "and plays back")
					Expect(rec.Encrypted).To(BeTrue())
					opened[names[ev.Record]] = len(frames)
					sample = raw
				}

				_, err = record.OpenKeyring(keyringData, recordKeyword+"!", nil)
				Expect(err).To(MatchError(record.ErrWrongKeyword), "a wrong keyword is refused")

				// A flipped bit anywhere is detected: nothing is returned.
				nonce := sample[6]
				positions := map[string]int{
					"header (bucket id)": 12,
					"header (record id)": 20,
					"header (length)":    35,
					"nonce":              record.HeaderLen + int(nonce)/2,
					"payload, first":     record.HeaderLen + int(nonce),
					"payload, middle":    (record.HeaderLen + int(nonce) + len(sample)) / 2,
					"tag, last byte":     len(sample) - 1,
				}
				flips := map[string]string{}
				for where, at := range positions {
					bad := bytes.Clone(sample)
					bad[at] ^= 0x10
					_, frames, err := record.Open(k, bad)
					Expect(err).To(HaveOccurred(), "a bit flipped in the %s (byte %d) is detected", where, at)
					Expect(frames).To(BeNil())
					flips[fmt.Sprintf("%s, byte %d", where, at)] = errorClass(err)
				}

				evidence("cipher", string(cipher))
				evidence("NAS files", sortedKeys(hashFiles(nasDir)))
				evidence("searched for on the NAS, not found", []string{"a JPEG header (FF D8 FF E0 … JFIF)", "frame_count", `"kind"`, "manual", "serial " + serial})
				evidence("records opened by the client with the keyword (frames)", opened)
				evidence("client key derivation (argon2id) on this host", derive.Round(time.Millisecond).String())
				evidence("wrong keyword", "refused: "+record.ErrWrongKeyword.Error())
				evidence("flipped bits", flips)
			})
		}

		It("sets a record torn by a power cut aside at start, and keeps every complete record readable", Label("ENC-2"), func(ctx SpecContext) {
			crd := s.cardOf()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			s.setKeyword(ctx, admin, nil)
			s.armRecording(ctx, admin, nil)
			dir := crd.CardDir()
			complete := []cameraEvent{s.recordEvent(ctx, admin), s.recordEvent(ctx, admin)}
			known := map[string]bool{}
			for _, rn := range recordFiles(dir) {
				known[rn.Name] = true
			}

			DeferCleanup(crd.HealCard)
			crd.TearNextCardWrite(100)
			cut := s.do(ctx, admin, "POST", "/api/v1/events", map[string]string{"kind": "manual"})
			var torn []string
			for _, rn := range recordFiles(dir) {
				if known[rn.Name] {
					continue
				}
				raw, err := os.ReadFile(filepath.Join(dir, rn.Name))
				Expect(err).NotTo(HaveOccurred())
				_, err = record.ReadHeader(raw)
				Expect(err).To(MatchError(record.ErrTorn), "the new file %s is torn", rn.Name)
				torn = append(torn, rn.Name)
			}
			Expect(torn).To(HaveLen(1), "the power cut left one torn record")

			head := s.auditHead(ctx, admin)
			Expect(s.env.Target.PowerCycle(ctx)).To(Succeed())
			s.api.Reset()
			entries := findBy(s.audit(ctx, admin, head), "storage.torn_record", "")
			Expect(entries).To(HaveLen(1), "the torn record is audited once")
			tornName, _ := parseRecordName(torn[0])
			Expect(recordFileOf(dir, tornName.ID)).To(BeEmpty(), "it is set aside, no longer a record")
			aside := []string{}
			entriesOnCard, err := os.ReadDir(dir)
			Expect(err).NotTo(HaveOccurred())
			for _, e := range entriesOnCard {
				if strings.HasSuffix(e.Name(), ".torn") {
					aside = append(aside, e.Name())
				}
			}
			Expect(aside).To(HaveLen(1), "kept as ….torn")

			listed := recordingIDs(s.searchAround(ctx, admin, clk.Now()))
			Expect(listed).To(ConsistOf(complete[0].Record, complete[1].Record), "search lists only complete records")
			for _, ev := range complete {
				s.play(ctx, admin, ev.Record)
			}
			evidence("answer to the event whose write was cut", cut.String())
			evidence("torn file", torn[0])
			evidence("set aside as", aside)
			evidence("audit entry", map[string]any{"action": entries[0].Action, "target": entries[0].Target, "detail": entries[0].Detail})
			evidence("complete records still playable", len(complete))
		})

		It("keeps recording to the card while the NAS is unreachable, and sends everything once it is back", Label("ENC-2", "MON-3"), func(ctx SpecContext) {
			crd := s.cardOf()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			nasDir, nasURL := newNAS()
			s.armRecording(ctx, admin, map[string]any{"nas": nasURL})
			first := s.recordEvent(ctx, admin)
			Eventually(func() string { return recordFileOf(nasDir, first.Record) }).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).ShouldNot(BeEmpty())

			// The share goes away.
			away := nasDir + ".away"
			Expect(os.Rename(nasDir, away)).To(Succeed())
			DeferCleanup(func() { _ = os.Rename(away, nasDir) })
			var during []cameraEvent
			var slowest time.Duration
			for range 3 {
				Expect(clk.Advance(5 * time.Second)).To(Succeed())
				started := time.Now()
				ev := s.recordEvent(ctx, admin)
				slowest = max(slowest, time.Since(started))
				Expect(recordFileOf(crd.CardDir(), ev.Record)).NotTo(BeEmpty(), "recorded to the card while the NAS is away")
				s.play(ctx, admin, ev.Record)
				during = append(during, ev)
			}
			Expect(slowest).To(BeNumerically("<", 2*time.Second), "an unreachable NAS does not delay recording")
			storage := s.expectStatus(ctx, 200, admin, "GET", "/api/v1/storage", nil).Map()

			// The share is back: everything recorded meanwhile arrives.
			Expect(os.Rename(away, nasDir)).To(Succeed())
			Eventually(func(g Gomega) {
				// The worker may wait out a back-off on the camera's clock: let a little time pass.
				g.Expect(clk.Advance(time.Second)).To(Succeed())
				for _, ev := range append([]cameraEvent{first}, during...) {
					g.Expect(recordFileOf(nasDir, ev.Record)).NotTo(BeEmpty(), "record %s on the NAS", ev.Record)
				}
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
			Expect(recordFiles(nasDir)).To(HaveLen(1+len(during)), "the NAS holds one record per event")

			evidence("records made while the NAS was away", len(during))
			evidence("slowest event answer while the NAS was away (wall clock)", slowest.Round(time.Millisecond).String())
			evidence("GET /api/v1/storage while the NAS was away", storage["nas"])
			evidence("records on the NAS after it came back", len(recordFiles(nasDir)))
		})

		It("derives the key with a memory-hard KDF and never stores the keyword", Label("ENC-3"), func(ctx SpecContext) {
			st, ok := s.env.Target.(target.Storage)
			if !ok {
				Skip("not applicable: the camera's stored configuration cannot be read")
			}
			admin := s.takeOwnership(ctx)
			nasDir, nasURL := newNAS()
			s.setKeyword(ctx, admin, map[string]any{"nas": nasURL})
			s.armRecording(ctx, admin, nil)
			ev := s.recordEvent(ctx, admin)
			later := s.recordEvent(ctx, admin)
			var rn recordName
			// Search only once both records have arrived, so that no transfer is still writing.
			Eventually(func(g Gomega) {
				g.Expect(recordFileOf(nasDir, later.Record)).NotTo(BeEmpty())
				name := recordFileOf(nasDir, ev.Record)
				g.Expect(name).NotTo(BeEmpty())
				rn, _ = parseRecordName(name)
				g.Expect(filepath.Join(nasDir, keyringName(rn.Gen))).To(BeARegularFile())
			}).WithContext(ctx).WithTimeout(nasTimeout).WithPolling(20 * time.Millisecond).Should(Succeed())

			needle := []byte(recordKeyword)
			places := map[string]string{"camera state directory": st.StateDir(), "NAS": nasDir}
			if crd, ok := s.env.Target.(target.Card); ok {
				places["card"] = crd.CardDir()
			}
			searched := map[string]int{}
			for where, dir := range places {
				Expect(filesContaining(dir, needle)).To(BeEmpty(), "no file in the %s holds the keyword", where)
				searched[where] = countFiles(dir)
			}
			auditBody := s.expectStatus(ctx, 200, admin, "GET", "/api/v1/audit", nil).Body
			Expect(bytes.Contains(auditBody, needle)).To(BeFalse(), "the audit log does not hold the keyword")
			Expect(string(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/settings", nil).Body)).NotTo(ContainSubstring(recordKeyword))
			Expect(string(s.expectStatus(ctx, 200, admin, "GET", "/api/v1/storage", nil).Body)).NotTo(ContainSubstring(recordKeyword))

			kr := readKeyringJSON(filepath.Join(nasDir, keyringName(rn.Gen)))
			Expect(kr.KDF.Alg).To(Equal("argon2id"))
			def := record.DefaultKDF()
			Expect(kr.KDF.MemoryKiB).To(BeNumerically(">=", def.MemoryKiB), "memory-hard: at least the documented 64 MiB")
			Expect(kr.KDF.Time).To(BeNumerically(">=", def.Time))
			data, err := os.ReadFile(filepath.Join(nasDir, keyringName(rn.Gen)))
			Expect(err).NotTo(HaveOccurred())
			started := time.Now()
			_, err = record.OpenKeyring(data, recordKeyword, nil)
			Expect(err).NotTo(HaveOccurred())
			derive := time.Since(started)

			evidence("files searched for the keyword", searched)
			evidence("audit log searched for the keyword", true)
			evidence("KDF parameters (NAS keyring)", map[string]any{"alg": kr.KDF.Alg, "time": kr.KDF.Time, "memory_kib": kr.KDF.MemoryKiB, "threads": kr.KDF.Threads})
			evidence("one derivation on this host (wall clock)", derive.Round(time.Millisecond).String())
		})
	})
}
