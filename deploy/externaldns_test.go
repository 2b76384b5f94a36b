package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestExternalDNSOverlay checks the invariants of deploy/externaldns, which adds ExternalDNS as
// a sidecar (issue 12). It deliberately differs from the base in two ways checked here: the
// external-dns container mounts the service-account token (it watches the cluster) and the
// pod's service account may read what ExternalDNS sources read, never write. The webhook
// stays on loopback: no container exposes its port, bindgate is not told to listen elsewhere,
// and ExternalDNS's own metrics listen on loopback too.
func TestExternalDNSOverlay(t *testing.T) {
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	read := func(f string) object {
		b, err := os.ReadFile("externaldns/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var o object
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		return o
	}
	kust, err := os.ReadFile("externaldns/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"../kubernetes", "rbac.json", "deployment-patch.json"} {
		if !strings.Contains(string(kust), want) {
			fail("kustomization.yaml does not use %s", want)
		}
	}
	patch := read("deployment-patch.json")
	var sawAPI, sawEDNS bool
	for _, c := range list(get(patch, "spec", "template", "spec", "containers")) {
		cn := fmt.Sprint(get(c, "name"))
		if strings.Contains(fmt.Sprint(get(c, "ports")), "8888") {
			fail("%s exposes the webhook port: it must stay inside the pod", cn)
		}
		env := map[string]string{}
		for _, e := range list(get(c, "env")) {
			env[fmt.Sprint(get(e, "name"))] = fmt.Sprint(get(e, "value"))
		}
		switch cn {
		case "api":
			sawAPI = true
			if env["BINDGATE_WEBHOOK"] != "true" {
				fail("api: BINDGATE_WEBHOOK is not true")
			}
			if _, ok := env["BINDGATE_WEBHOOK_ALLOW_REMOTE"]; ok {
				fail("api: BINDGATE_WEBHOOK_ALLOW_REMOTE set: the unauthenticated webhook must stay on loopback")
			}
			if a, ok := env["BINDGATE_WEBHOOK_ADDR"]; ok && !strings.HasPrefix(a, "127.") {
				fail("api: BINDGATE_WEBHOOK_ADDR %s is not loopback", a)
			}
		case "external-dns":
			sawEDNS = true
			var args []string
			for _, a := range list(get(c, "args")) {
				args = append(args, fmt.Sprint(a))
			}
			for _, want := range []string{"--provider=webhook", "--webhook-provider-url=http://127.0.0.1:8888"} {
				if !slices.Contains(args, want) {
					fail("external-dns: no %s", want)
				}
			}
			if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--metrics-address=127.0.0.1:") }) {
				fail("external-dns: --metrics-address is not on loopback (its default listens on every interface)")
			}
			sc := get(c, "securityContext")
			for k, v := range map[string]any{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false} {
				if get(sc, k) != v {
					fail("external-dns: securityContext.%s is %v, want %v", k, get(sc, k), v)
				}
			}
			if fmt.Sprint(get(sc, "capabilities", "drop")) != "[ALL]" || get(sc, "seccompProfile", "type") != "RuntimeDefault" {
				fail("external-dns: capabilities must drop ALL with seccomp RuntimeDefault")
			}
			if get(c, "resources", "limits", "memory") == nil {
				fail("external-dns: no memory limit")
			}
		}
	}
	if !sawAPI || !sawEDNS {
		fail("the patch must change the api container and add external-dns (api %v, external-dns %v)", sawAPI, sawEDNS)
	}
	for _, o := range list(get(read("rbac.json"), "items")) {
		switch get(o, "kind") {
		case "ClusterRole", "Role":
			for _, r := range list(get(o, "rules")) {
				if v := fmt.Sprint(get(r, "verbs")); v != "[get list watch]" {
					fail("ExternalDNS role grants %s on %v: read only", v, get(r, "resources"))
				}
			}
		case "ClusterRoleBinding", "RoleBinding":
			for _, s := range list(get(o, "subjects")) {
				if get(s, "kind") != "ServiceAccount" || get(s, "name") != "bind9" {
					fail("ExternalDNS binding binds %v, want only the bind9 service account", s)
				}
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("externaldns overlay:\n%s", strings.Join(bad, "\n"))
	}
}
