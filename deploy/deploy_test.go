// Package deploy checks the security invariants of the shipped manifests and Dockerfile
// (issue 4; docs/contract.md §19 A5, A6, A10, A11, K-1..K-3).
//
// The manifests are JSON, which is YAML and which kubectl and kustomize read as is: that keeps
// this test on the standard library (no YAML dependency for one test).
package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// object is one decoded manifest, addressed by path.
type object = map[string]any

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }

// loadObjects reads every manifest, flattening v1 Lists.
func loadObjects(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var out []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var o object
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if o["kind"] == "List" {
			for _, it := range list(o["items"]) {
				out = append(out, object(it.(map[string]any)))
			}
			continue
		}
		out = append(out, o)
	}
	return out
}

// check returns every violated invariant of objs.
func check(objs []object) []string {
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	kinds := map[string]int{}
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		kinds[kind]++
		name := fmt.Sprint(get(o, "metadata", "name"))
		switch kind {
		case "Namespace":
			for _, mode := range []string{"enforce", "audit", "warn"} {
				if get(o, "metadata", "labels", "pod-security.kubernetes.io/"+mode) != "restricted" {
					fail("namespace %s: pod-security %s is not restricted (A5)", name, mode)
				}
			}
		case "ServiceAccount":
			if get(o, "automountServiceAccountToken") != false {
				fail("serviceaccount %s automounts its token", name)
			}
		case "ClusterRole", "Role":
			rules := list(get(o, "rules"))
			if len(rules) != 1 {
				fail("%s %s: %d rules, want only create tokenreviews (A10)", kind, name, len(rules))
			}
			for _, r := range rules {
				g, res, verbs := fmt.Sprint(get(r, "apiGroups")), fmt.Sprint(get(r, "resources")), fmt.Sprint(get(r, "verbs"))
				if g != "[authentication.k8s.io]" || res != "[tokenreviews]" || verbs != "[create]" {
					fail("%s %s grants %s %s %s (A10)", kind, name, g, res, verbs)
				}
			}
		case "ClusterRoleBinding", "RoleBinding":
			if ref := get(o, "roleRef", "name"); ref == "system:auth-delegator" || ref == "cluster-admin" {
				fail("%s %s binds %s (A10)", kind, name, ref)
			}
			for _, s := range list(get(o, "subjects")) {
				if get(s, "kind") != "ServiceAccount" || get(s, "name") != "bind9" {
					fail("%s %s binds %v, want only the bind9 service account (K-2)", kind, name, s)
				}
			}
		case "NetworkPolicy":
			checkNetworkPolicy(o, fail)
		case "Deployment", "StatefulSet", "DaemonSet", "Pod":
			spec := get(o, "spec", "template", "spec")
			if kind == "Pod" {
				spec = get(o, "spec")
			}
			checkPod(name, spec, fail)
			checkKeyLayout(name, spec, objs, fail)
		}
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy", "Deployment"} {
		if kinds[k] == 0 {
			fail("no %s manifest", k)
		}
	}
	return bad
}

// checkKeyLayout: the layout key rotation without a restart needs (issue 10, README "Key
// rotation"): the key Secret mounted in both containers as a directory (kubelet never
// refreshes a subPath mount, so a rotated key would never arrive), named.conf including the
// key file from that mount (so `rndc reconfig` loads the new key) and rndc.conf, which
// bindgate reads, including it too.
func checkKeyLayout(name string, spec any, objs []object, fail func(string, ...any)) {
	secrets := map[string]bool{}
	for _, v := range list(get(spec, "volumes")) {
		if get(v, "secret") != nil {
			secrets[fmt.Sprint(get(v, "name"))] = true
		}
	}
	mounts := map[string]string{} // container -> the key Secret's mount path
	for _, c := range list(get(spec, "containers")) {
		cname := fmt.Sprint(get(c, "name"))
		for _, m := range list(get(c, "volumeMounts")) {
			if !secrets[fmt.Sprint(get(m, "name"))] {
				continue
			}
			if get(m, "subPath") != nil {
				fail("%s: container %s mounts the key Secret with subPath, which kubelet never refreshes: a rotated key never arrives", name, cname)
				continue
			}
			mounts[cname] = fmt.Sprint(get(m, "mountPath"))
		}
	}
	var confs strings.Builder
	for _, o := range objs {
		if o["kind"] == "ConfigMap" {
			for k, v := range get(o, "data").(map[string]any) {
				fmt.Fprintf(&confs, "%s\x00%s\x00", k, v)
			}
		}
	}
	for cname, file := range map[string]string{"bind9": "named.conf", "api": "rndc.conf"} {
		dir, ok := mounts[cname]
		if !ok {
			fail("%s: container %s does not mount the key Secret (both containers read the key file)", name, cname)
			continue
		}
		re := regexp.MustCompile(regexp.QuoteMeta(file) + `\x00[^\x00]*include "` + regexp.QuoteMeta(strings.TrimSuffix(dir, "/")+"/"))
		if !re.MatchString(confs.String()) {
			fail("%s: %s does not include the key file from %s, where the Secret is mounted (a rotated key would not load)", name, file, dir)
		}
	}
}

func checkPod(name string, spec any, fail func(string, ...any)) {
	if spec == nil {
		fail("%s: no pod spec", name)
		return
	}
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		if get(spec, f) == true {
			fail("%s: %s", name, f)
		}
	}
	if get(spec, "automountServiceAccountToken") != false {
		fail("%s: the pod automounts the service account token", name)
	}
	if get(spec, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
		fail("%s: pod seccompProfile is not RuntimeDefault", name)
	}
	if get(spec, "securityContext", "runAsNonRoot") != true {
		fail("%s: pod runAsNonRoot is not true", name)
	}
	projected := ""
	for _, v := range list(get(spec, "volumes")) {
		if get(v, "hostPath") != nil {
			fail("%s: hostPath volume %v", name, get(v, "name"))
		}
		for _, src := range list(get(v, "projected", "sources")) {
			if get(src, "serviceAccountToken") != nil {
				projected = fmt.Sprint(get(v, "name"))
			}
		}
	}
	if projected == "" {
		fail("%s: no projected service-account token for TokenReview", name)
	}
	containers := list(get(spec, "containers"))
	if len(containers) == 0 {
		fail("%s: no containers", name)
	}
	api := false
	for _, c := range append(containers, list(get(spec, "initContainers"))...) {
		cn := fmt.Sprint(get(c, "name"))
		sc := get(c, "securityContext")
		want := map[string]any{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false}
		for k, v := range want {
			if get(sc, k) != v {
				fail("%s/%s: securityContext.%s is %v, want %v (K-3)", name, cn, k, get(sc, k), v)
			}
		}
		if get(sc, "privileged") == true {
			fail("%s/%s: privileged", name, cn)
		}
		if fmt.Sprint(get(sc, "capabilities", "drop")) != "[ALL]" || get(sc, "capabilities", "add") != nil {
			fail("%s/%s: capabilities must drop ALL and add none (K-3)", name, cn)
		}
		if get(sc, "seccompProfile", "type") != "RuntimeDefault" {
			fail("%s/%s: seccompProfile is not RuntimeDefault", name, cn)
		}
		if uid, _ := get(sc, "runAsUser").(float64); uid == 0 {
			fail("%s/%s: runAsUser must be set and not 0", name, cn)
		}
		if get(c, "resources", "limits", "memory") == nil {
			fail("%s/%s: no memory limit", name, cn)
		}
		if cn == "api" {
			api = true
			mounted := false
			for _, m := range list(get(c, "volumeMounts")) {
				if fmt.Sprint(get(m, "name")) == projected {
					mounted = get(m, "readOnly") == true
				}
			}
			if !mounted {
				fail("%s/api: the projected token is not mounted read-only", name)
			}
			ports := fmt.Sprint(get(c, "ports"))
			if !strings.Contains(ports, "http") {
				fail("%s/api: no port named http (bindy looks it up by name)", name)
			}
		} else {
			for _, m := range list(get(c, "volumeMounts")) {
				if projected != "" && fmt.Sprint(get(m, "name")) == projected {
					fail("%s/%s: the service-account token is mounted in a container that does not need it", name, cn)
				}
			}
		}
	}
	if !api {
		fail("%s: no api container", name)
	}
}

func checkNetworkPolicy(o object, fail func(string, ...any)) {
	name := fmt.Sprint(get(o, "metadata", "name"))
	types := fmt.Sprint(get(o, "spec", "policyTypes"))
	if !strings.Contains(types, "Ingress") || !strings.Contains(types, "Egress") {
		fail("networkpolicy %s: policyTypes %s, want Ingress and Egress", name, types)
	}
	for _, dir := range []string{"ingress", "egress"} {
		for _, rule := range list(get(o, "spec", dir)) {
			peers := list(get(rule, "from"))
			if dir == "egress" {
				peers = list(get(rule, "to"))
			}
			if len(peers) == 0 {
				fail("networkpolicy %s: an %s rule without peers allows everyone", name, dir)
			}
			for _, p := range peers {
				if c := fmt.Sprint(get(p, "ipBlock", "cidr")); strings.HasSuffix(c, "/0") {
					fail("networkpolicy %s: %s to %s (A6)", name, dir, c)
				}
			}
			if dir == "ingress" && strings.Contains(fmt.Sprint(get(rule, "ports")), "8080") {
				for _, p := range peers {
					if get(p, "podSelector", "matchLabels") == nil || get(p, "namespaceSelector", "matchLabels") == nil {
						fail("networkpolicy %s: API ingress not restricted to the operator's pods and namespace", name)
					}
				}
			}
		}
	}
}

// checkDockerfile returns the Dockerfile's violations: every FROM pinned by digest, the final
// stage distroless and not root.
func checkDockerfile(text string) []string {
	var bad []string
	from := regexp.MustCompile(`(?mi)^FROM\s+(?:--\S+\s+)*(\S+)`)
	matches := from.FindAllStringSubmatch(text, -1)
	if len(matches) == 0 {
		return []string{"no FROM"}
	}
	for _, m := range matches {
		if !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(m[1]) {
			bad = append(bad, "FROM "+m[1]+" is not pinned by digest (A11)")
		}
	}
	final := matches[len(matches)-1][1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") {
		bad = append(bad, "final stage "+final+" is not distroless static (K-1)")
	}
	last := text[strings.LastIndex(strings.ToUpper(text), "\nFROM "):]
	user := regexp.MustCompile(`(?mi)^USER\s+(\S+)`).FindStringSubmatch(last)
	if user == nil || slices.Contains([]string{"0", "root", "0:0", "root:root"}, user[1]) {
		bad = append(bad, "final stage runs as root (K-1)")
	}
	return bad
}

func TestManifests(t *testing.T) {
	t.Parallel()
	if bad := check(loadObjects(t)); len(bad) > 0 {
		t.Errorf("manifest invariants:\n%s", strings.Join(bad, "\n"))
	}
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if bad := checkDockerfile(string(b)); len(bad) > 0 {
		t.Errorf("Dockerfile:\n%s", strings.Join(bad, "\n"))
	}
}

// TestCheckerRejects mutates the shipped manifests one way at a time; the checker must reject
// each, so TestManifests cannot pass vacuously.
func TestCheckerRejects(t *testing.T) {
	t.Parallel()
	mutations := map[string]func(o object) bool{
		"privilege escalation": func(o object) bool {
			return setContainer(o, "api", func(c map[string]any) { c["securityContext"].(map[string]any)["allowPrivilegeEscalation"] = true })
		},
		"writable root": func(o object) bool {
			return setContainer(o, "bind9", func(c map[string]any) { c["securityContext"].(map[string]any)["readOnlyRootFilesystem"] = false })
		},
		"capability added": func(o object) bool {
			return setContainer(o, "api", func(c map[string]any) {
				c["securityContext"].(map[string]any)["capabilities"] = map[string]any{"drop": []any{"ALL"}, "add": []any{"NET_ADMIN"}}
			})
		},
		"key Secret mounted with subPath": func(o object) bool {
			return setContainer(o, "bind9", func(c map[string]any) {
				for _, m := range list(c["volumeMounts"]) {
					if m.(map[string]any)["name"] == "rndc-key" {
						m.(map[string]any)["subPath"] = "rndc.key"
					}
				}
			})
		},
		"named.conf does not include the key file": func(o object) bool {
			if o["kind"] != "ConfigMap" {
				return false
			}
			d := o["data"].(map[string]any)
			d["named.conf"] = strings.ReplaceAll(d["named.conf"].(string), `include "/etc/bind/keys/rndc.key";`, "")
			return true
		},
		"host network": func(o object) bool {
			if o["kind"] != "Deployment" {
				return false
			}
			get(o, "spec", "template", "spec").(map[string]any)["hostNetwork"] = true
			return true
		},
		"token automount": func(o object) bool {
			if o["kind"] != "ServiceAccount" {
				return false
			}
			o["automountServiceAccountToken"] = true
			return true
		},
		"role reads secrets": func(o object) bool {
			if o["kind"] != "ClusterRole" {
				return false
			}
			o["rules"] = append(list(o["rules"]), map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get"}})
			return true
		},
		"auth-delegator": func(o object) bool {
			if o["kind"] != "ClusterRoleBinding" {
				return false
			}
			o["roleRef"].(map[string]any)["name"] = "system:auth-delegator"
			return true
		},
		"egress anywhere": func(o object) bool {
			if o["kind"] != "NetworkPolicy" {
				return false
			}
			eg := get(o, "spec").(map[string]any)
			eg["egress"] = append(list(eg["egress"]), map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0"}}}})
			return true
		},
		"namespace baseline": func(o object) bool {
			if o["kind"] != "Namespace" {
				return false
			}
			get(o, "metadata", "labels").(map[string]any)["pod-security.kubernetes.io/enforce"] = "baseline"
			return true
		},
	}
	for name, mutate := range mutations {
		objs := loadObjects(t)
		hit := false
		for _, o := range objs {
			hit = mutate(o) || hit
		}
		if !hit {
			t.Errorf("%s: nothing to mutate", name)
			continue
		}
		if bad := check(objs); len(bad) == 0 {
			t.Errorf("%s: the checker accepted it", name)
		}
	}
	for name, df := range map[string]string{
		"unpinned":       "FROM golang:1.26 AS b\nFROM gcr.io/distroless/static-debian12:nonroot@sha256:" + strings.Repeat("a", 64) + "\nUSER 65532\n",
		"root user":      "FROM gcr.io/distroless/static-debian12:nonroot@sha256:" + strings.Repeat("a", 64) + "\nUSER root\n",
		"not distroless": "FROM debian@sha256:" + strings.Repeat("a", 64) + "\nUSER 65532\n",
	} {
		if bad := checkDockerfile("\n" + df); len(bad) == 0 {
			t.Errorf("Dockerfile %s: accepted", name)
		}
	}
}

func setContainer(o object, name string, f func(map[string]any)) bool {
	if o["kind"] != "Deployment" {
		return false
	}
	for _, c := range list(get(o, "spec", "template", "spec", "containers")) {
		if get(c, "name") == name {
			f(c.(map[string]any))
			return true
		}
	}
	return false
}
