package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindgate/bindgate/internal/keyrot"
	"github.com/bindgate/bindgate/internal/openapi"
	"github.com/bindgate/bindgate/internal/pdnsapi"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zones"
)

// TestOpenAPIFieldNames: each schema of the OpenAPI document has exactly the JSON names of the
// Go type the handlers decode or encode, so a json tag renamed on either side fails here, not
// only in the integration suite.
func TestOpenAPIFieldNames(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapi.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		schema string
		typ    any
		extra  []string // JSON names written outside the type (beside an embedded part)
	}{
		{"Error", errorBody{}, nil},
		{"ZoneResponse", zoneResponse{}, nil},
		{"ZoneList", zoneList{}, nil},
		{"ZoneInfo", zones.Info{}, nil},
		{"DNSSECStatus", zones.DNSSECStatus{}, nil},
		{"DNSSECKey", zones.DNSSECKey{}, nil},
		{"CreateZoneRequest", zones.CreateRequest{}, nil},
		{"ZoneConfig", zones.ZoneConfig{}, nil},
		{"SoaRecord", zones.SOARecord{}, nil},
		{"DnsRecord", zones.DNSRecord{}, nil},
		{"ModifyZoneRequest", zones.ModifyRequest{}, nil},
		{"ReconcileReport", zones.ReconcileReport{}, nil},
		{"AddRecordRequest", records.AddRequest{}, nil},
		{"UpdateRecordRequest", records.UpdateRequest{}, nil},
		{"RemoveRecordRequest", records.RemoveRequest{}, nil},
		{"AddRecordResponse", recordResponse{}, nil},
		{"AddedRecord", records.AddedRecord{}, nil},
		{"UpdatedRecord", records.UpdatedRecord{}, nil},
		{"RemovedRecord", records.RemovedRecord{}, nil},
		{"RRset", records.RRset{}, nil},
		{"ChangeRRset", records.ChangeRRset{}, nil},
		{"ZoneData", records.ZoneData{}, nil},
		{"RRsetChange", records.RRsetChange{}, nil},
		{"PatchRRsetsRequest", records.PatchRequest{}, nil},
		{"SyncRRsetsRequest", records.SyncRequest{}, nil},
		{"PatchResult", records.PatchResult{}, nil},
		{"SyncResult", records.SyncResult{}, nil},
		{"AppliedChange", records.Applied{}, nil},
		{"HistoryEntry", records.HistoryEntry{}, nil},
		{"HistoryPage", records.HistoryPage{}, nil},
		{"ChangeDetail", records.ChangeDetail{}, nil},
		{"RollbackRequest", records.RollbackRequest{}, nil},
		{"RollbackResult", records.RollbackResult{}, nil},
		{"KeyInfo", keyrot.Info{}, nil},
		{"KeyReloadReport", keyrot.Report{}, nil},
		{"ServerStatus", keyStatus{}, []string{"status"}},
		{"PdnsError", pdnsapi.ErrorBody{}, nil},
		{"PdnsAPIVersion", pdnsapi.APIVersion{}, nil},
		{"PdnsServer", pdnsapi.Server{}, nil},
		{"PdnsZone", pdnsapi.Zone{}, nil},
		{"PdnsRRset", pdnsapi.RRset{}, nil},
		{"PdnsRecord", pdnsapi.Record{}, nil},
		{"PdnsComment", pdnsapi.Comment{}, nil},
		{"PdnsRRsetChange", pdnsapi.RRsetChange{}, nil},
		{"PdnsRecordInput", pdnsapi.RecordInput{}, nil},
		{"PdnsPatchRequest", pdnsapi.PatchRequest{}, nil},
		{"PdnsCreateZoneRequest", pdnsapi.CreateRequest{}, nil},
		{"PdnsCryptokey", pdnsapi.Cryptokey{}, nil},
	}
	for _, tc := range tests {
		s, ok := doc.Components.Schemas[tc.schema]
		if !ok {
			t.Errorf("no schema %s", tc.schema)
			continue
		}
		var documented []string
		for name := range s.Properties {
			documented = append(documented, name)
		}
		slices.Sort(documented)
		want := slices.Sorted(slices.Values(append(jsonNames(reflect.TypeOf(tc.typ)), tc.extra...)))
		if diff := cmp.Diff(want, documented); diff != "" {
			t.Errorf("%s: Go JSON names (-) vs documented properties (+):\n%s", tc.schema, diff)
		}
	}
}

// jsonNames lists the JSON names encoding/json uses for struct type t, embedded structs
// flattened, "-" left out.
func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, jsonNames(f.Type)...)
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
