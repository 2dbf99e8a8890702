package scenarios

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/portscan"
	"vsslab/scenarios/target"
)

// networkExposure: NET-2's port scan. A scan of every TCP port of the camera's address must find the
// documented ports (the HTTPS API, the plain-HTTP redirect and RTSP, as the target names them) and
// nothing else: in factory state, and again once an owner has the camera recording.
func networkExposure(s *suite) {
	Describe("Network exposure", func() {
		It("listens only on its documented ports: a scan of every TCP port finds no other", Label("NET-2"), func(ctx SpecContext) {
			sc, ok := s.env.Target.(target.Scannable)
			if !ok {
				Skip("not applicable: the target cannot be reached at an address of its own to scan")
			}
			host, shared := sc.ScanHost()
			if host == "" {
				Skip("not applicable: the camera shares its address with other programs on this host, so a scan cannot tell its ports from theirs")
			}
			documented := s.documentedPorts()
			Expect(documented).NotTo(BeEmpty(), "the target names the camera's ports")

			// Ports open on the control address listen on every address of the harness's host; they
			// are the host's, not the camera's (the camera binds its own address only).
			var hostWide []int
			if shared != "" {
				res, err := portscan.TCP(ctx, shared, portscan.Options{})
				Expect(err).NotTo(HaveOccurred())
				hostWide = res.Open
				for p, name := range documented {
					Expect(hostWide).NotTo(ContainElement(p), "the control address is not the camera's: its %s port %d is closed there", name, p)
				}
			}
			// The evidence names ports by what they serve: on sim they are picked afresh by each run,
			// and the same seed must give the same evidence.
			type scanRow struct {
				Stage        string   `json:"stage"`
				Scanned      int      `json:"ports_scanned"`
				Open         []string `json:"open"`
				Undocumented []int    `json:"undocumented"`
				Filtered     int      `json:"filtered"`
			}
			var rows []scanRow
			scan := func(stage string) {
				GinkgoHelper()
				res, err := portscan.TCP(ctx, host, portscan.Options{})
				Expect(err).NotTo(HaveOccurred())
				Expect(res.Scanned).To(Equal(65535))
				var open []string
				other := []int{}
				for _, p := range res.Open {
					switch {
					case documented[p] != "":
						open = append(open, documented[p])
					case slices.Contains(hostWide, p):
					case shared != "" && hostWideNow(ctx, shared, p):
						// Another program of the harness's host began listening on every address
						// after the control scan: it is open on the control address too.
						hostWide = append(hostWide, p)
					default:
						other = append(other, p)
					}
				}
				slices.Sort(open)
				// A scan that missed a port the camera is known to answer on proves nothing.
				for p, name := range documented {
					Expect(res.Open).To(ContainElement(p), "%s: the scan finds the %s port %d", stage, name, p)
				}
				Expect(other).To(BeEmpty(), "%s: ports open on the camera beyond the documented %v", stage, documented)
				rows = append(rows, scanRow{stage, res.Scanned, open, other, len(res.Filtered)})
			}
			scan("factory state")
			admin := s.takeOwnership(ctx)
			s.armRecording(ctx, admin, nil)
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			s.recordEvent(ctx, admin)
			scan("owned, recording armed, an event recorded, microphone on")

			if shared != "" {
				evidence("scanned address", "the camera's own loopback address, in 127.64.0.0/10, picked at random by the target")
			} else {
				evidence("scanned address", host)
			}
			evidence("method", "TCP connect scan of ports 1-65535 from the harness (UDP is not scanned: the camera's only UDP sockets are the RTP ports of a running RTSP session)")
			names := slices.Sorted(maps.Values(documented))
			evidence("documented ports", names)
			evidence("scans", rows)
			if shared != "" {
				evidence("listeners of the harness's host, open on a control address too and so left out", hostWide)
			}
		})
	})
}

// documentedPorts are the ports the camera documents, from the target's URLs, by name.
func (s *suite) documentedPorts() map[int]string {
	GinkgoHelper()
	out := map[int]string{}
	for name, raw := range map[string]string{"HTTPS API": s.env.Target.BaseURL(), "plain-HTTP redirect": s.env.Target.HTTPURL(), "RTSP": s.env.Target.RTSPURL()} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		Expect(err).NotTo(HaveOccurred(), "the target's %s URL", name)
		p, err := strconv.Atoi(u.Port())
		Expect(err).NotTo(HaveOccurred(), "the target's %s URL %s names its port", name, raw)
		out[p] = name
	}
	return out
}

// hostWideNow tells whether port is open on the control address, which the camera never binds: a
// listener there listens on every address of the harness's host and is not the camera's.
func hostWideNow(ctx context.Context, control string, port int) bool {
	res, err := portscan.TCP(ctx, control, portscan.Options{Ports: []int{port}})
	return err == nil && len(res.Open) == 1
}
