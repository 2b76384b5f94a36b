package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWebhookSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    Webhook
		wantErr string // substring; "" = valid
	}{
		{name: "defaults: off, loopback sidecar port",
			want: Webhook{Addr: "127.0.0.1:8888", Principal: "shared-token"}},
		{name: "on with domains and principal",
			env:  map[string]string{SettingWebhook: "true", SettingWebhookPrincipal: "externaldns", SettingWebhookDomains: "Example.COM., team.example.org"},
			want: Webhook{Enabled: true, Addr: "127.0.0.1:8888", Principal: "externaldns", Domains: []string{"example.com", "team.example.org"}}},
		{name: "flags", args: []string{"--webhook", "--webhook-addr", "[::1]:0"},
			want: Webhook{Enabled: true, Addr: "[::1]:0", Principal: "shared-token"}},
		{name: "non-loopback refused without the extra setting",
			env: map[string]string{SettingWebhook: "true", SettingWebhookAddr: "0.0.0.0:8888"}, wantErr: SettingWebhookAllowRemote},
		{name: "non-loopback allowed when told",
			env:  map[string]string{SettingWebhook: "true", SettingWebhookAddr: "0.0.0.0:8888", SettingWebhookAllowRemote: "true"},
			want: Webhook{Enabled: true, Addr: "0.0.0.0:8888", AllowRemote: true, Principal: "shared-token"}},
		{name: "non-loopback while off is not an error",
			env:  map[string]string{SettingWebhookAddr: "10.0.0.1:8888"},
			want: Webhook{Addr: "10.0.0.1:8888", Principal: "shared-token"}},
		{name: "host name refused", env: map[string]string{SettingWebhookAddr: "localhost:8888"}, wantErr: "must be an IP address"},
		{name: "bad port", env: map[string]string{SettingWebhookAddr: "127.0.0.1:99999"}, wantErr: "0-65535"},
		{name: "bad domain", env: map[string]string{SettingWebhookDomains: "ex ample.com"}, wantErr: SettingWebhookDomains},
		{name: "bad principal", env: map[string]string{SettingWebhookPrincipal: "a b"}, wantErr: SettingWebhookPrincipal},
		{name: "bad boolean", env: map[string]string{SettingWebhook: "maybe"}, wantErr: SettingWebhook},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := testLoad(tc.args, with(minimal, tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, c.Webhook); d != "" {
				t.Errorf("Webhook (-want +got):\n%s", d)
			}
		})
	}
}
