package zoneconf

func ptr[T any](v T) *T { return &v }

// eps returns a pointer to the parsed endpoint list, for Modification fields.
func eps(list ...string) *[]Endpoint {
	out := make([]Endpoint, 0, len(list))
	for _, s := range list {
		out = append(out, mustEndpoint(s))
	}
	return &out
}

// acls returns a pointer to the parsed ACL, for Modification fields.
func acls(list ...string) *[]ACLEntry {
	out := make([]ACLEntry, 0, len(list))
	for _, s := range list {
		out = append(out, mustACL(s))
	}
	return &out
}
