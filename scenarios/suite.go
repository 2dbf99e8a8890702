// Package scenarios holds vsslab's scenario suites: Ginkgo specs, one file per requirement area, that
// verify the requirements of fixtures/requirements.yaml by driving a target from outside.
//
// The specs are registered by Register into Ginkgo's suite and run by Run, both from `go test
// ./scenarios/...` and from `vsslab run`, so there is one source of truth for what a verdict means.
// Every spec carries the requirement IDs it verifies as labels and attaches what it measured as
// report entries; a spec that needs a capability its target lacks skips with "not applicable: …",
// which the report shows as not applicable, never as passed.
package scenarios

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

// Env is what the specs run against.
type Env struct {
	// Target is the camera under test.
	Target target.Target
	// Model is the camera model the target claims ("iot" or "move").
	Model string
}

// Hooks let the runner follow progress; both may be nil.
type Hooks struct {
	// Starting is called once with the number of specs that will run.
	Starting func(total int)
	// Finished is called after each spec.
	Finished func(types.SpecReport)
}

// Run registers the suites and runs them with Ginkgo. It may be called once per process (a Ginkgo
// rule). suiteCfg and reporterCfg come from GinkgoConfiguration() and may be adjusted by the caller
// (label filter, seed). It returns Ginkgo's report of the run.
func Run(t GinkgoTestingT, env Env, suiteCfg types.SuiteConfig, reporterCfg types.ReporterConfig, hooks Hooks) (types.Report, error) {
	if env.Target == nil {
		return types.Report{}, errors.New("run scenarios: no target")
	}
	var report types.Report
	got := false
	ReportBeforeSuite(func(r types.Report) {
		if hooks.Starting != nil {
			hooks.Starting(r.PreRunStats.SpecsThatWillRun)
		}
	})
	ReportAfterEach(func(r types.SpecReport) {
		if hooks.Finished != nil {
			hooks.Finished(r)
		}
	})
	ReportAfterSuite("vsslab report", func(r types.Report) {
		report, got = r, true
	})
	RegisterFailHandler(Fail)
	Register(env)
	RunSpecs(t, "vsslab scenarios", suiteCfg, reporterCfg)
	if !got {
		return types.Report{}, errors.New("run scenarios: Ginkgo produced no report")
	}
	return report, nil
}

// Register declares every suite's specs against env.
func Register(env Env) {
	s := &suite{env: env, api: NewAPI(env.Target)}
	BeforeEach(func(ctx SpecContext) {
		// Every spec starts from factory state, as a certifier would unpack a new camera.
		Expect(env.Target.FactoryReset(ctx)).To(Succeed())
		s.api.Reset()
	}, NodeTimeout(time.Minute))
	privacyByDefault(s)
	accessProtection(s)
	privacyMode(s)
	secureConnections(s)
	auditTrail(s)
	obscuredAreas(s)
	liveStreams(s)
	encryption(s)
	deletionPeriods(s)
	playbackRights(s)
	storageMonitoring(s)
	networkExposure(s)
	benchEvidence(s)
}

// suite is the state the specs share: the env and an API client.
type suite struct {
	env Env
	api *API
}

// Strong passwords the specs give the accounts they create.
const (
	adminPassword    = "Vss-Lab!2026-Owner"
	operatorPassword = "Op3rator!Pass-vss"
	viewerPassword   = "watch-only-pass-42"
)

func factoryAdmin() Cred { return Cred{FactoryAdmin, FactoryPassword} }

// do sends a request and fails the spec on a transport error.
func (s *suite) do(ctx context.Context, cred Cred, method, path string, body any) Response {
	GinkgoHelper()
	resp, err := s.api.Do(ctx, cred, method, path, body)
	Expect(err).NotTo(HaveOccurred())
	return resp
}

// expectStatus sends a request and checks its status.
func (s *suite) expectStatus(ctx context.Context, status int, cred Cred, method, path string, body any) Response {
	GinkgoHelper()
	resp := s.do(ctx, cred, method, path, body)
	Expect(resp.Status).To(Equal(status), "%s %s as %q: %s", method, path, cred.Name, resp)
	return resp
}

// takeOwnership changes the factory admin password, as the first thing an installer does; from then
// on the camera persists changes.
func (s *suite) takeOwnership(ctx context.Context) Cred {
	GinkgoHelper()
	resp := s.expectStatus(ctx, 200, factoryAdmin(), "PUT", "/api/v1/users/admin/password", map[string]string{"password": adminPassword})
	Expect(resp.Map()).To(HaveKeyWithValue("persisted", true))
	return Cred{FactoryAdmin, adminPassword}
}

// resetThroughAPI asks the camera to reset itself to factory state, as an admin may, and then lets
// the target learn the camera's new certificate where it cannot see it change (a bench).
func (s *suite) resetThroughAPI(ctx context.Context, admin Cred) {
	GinkgoHelper()
	s.expectStatus(ctx, 200, admin, "POST", "/api/v1/system/factory-reset", nil)
	s.api.Reset()
	if r, ok := s.env.Target.(target.Reidentifier); ok {
		Expect(r.Reidentify(ctx)).To(Succeed(), "learn the camera's identity after its reset")
	}
}

// addAccount creates an account at level and returns its credentials.
func (s *suite) addAccount(ctx context.Context, admin Cred, name, level string) Cred {
	GinkgoHelper()
	pw := operatorPassword
	if level == "guest" {
		pw = viewerPassword
	}
	s.expectStatus(ctx, 201, admin, "POST", "/api/v1/users", map[string]string{"name": name, "password": pw, "level": level})
	return Cred{name, pw}
}

// settings reads the settings as cred.
func (s *suite) settings(ctx context.Context, cred Cred) map[string]any {
	GinkgoHelper()
	return s.expectStatus(ctx, 200, cred, "GET", "/api/v1/settings", nil).Map()
}

// auditEntry is one exported audit entry as the API shows it.
type auditEntry struct {
	Seq     uint64            `json:"seq"`
	Time    time.Time         `json:"time"`
	Actor   string            `json:"actor"`
	Source  string            `json:"source"`
	Action  string            `json:"action"`
	Target  string            `json:"target"`
	Outcome string            `json:"outcome"`
	Detail  map[string]string `json:"detail"`
}

// audit exports the audit entries after seq.
func (s *suite) audit(ctx context.Context, admin Cred, after uint64) []auditEntry {
	GinkgoHelper()
	resp := s.expectStatus(ctx, 200, admin, "GET", fmt.Sprintf("/api/v1/audit?after=%d", after), nil)
	var body struct {
		Entries []auditEntry `json:"entries"`
	}
	Expect(resp.JSON(&body)).To(Succeed())
	return body.Entries
}

// auditHead is the sequence number of the newest audit entry.
func (s *suite) auditHead(ctx context.Context, admin Cred) uint64 {
	GinkgoHelper()
	entries := s.audit(ctx, admin, 0)
	if len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// find returns the entries with the given action and target.
func find(entries []auditEntry, action, target string) []auditEntry {
	var out []auditEntry
	for _, e := range entries {
		if e.Action == action && e.Target == target {
			out = append(out, e)
		}
	}
	return out
}

// clock returns the target's virtual clock, or marks the spec not applicable.
func (s *suite) clock() target.Clock {
	GinkgoHelper()
	c, ok := s.env.Target.(target.Clocked)
	if !ok {
		Skip("not applicable: the target has no virtual clock, so hours of camera time cannot be run in a test")
	}
	return c.Clock()
}

// evidence attaches a measured value to the spec's report entry list.
func evidence(name string, v any) {
	AddReportEntry(name, v, Offset(1))
}
