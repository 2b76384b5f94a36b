package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// APIError is a non-2xx answer of the API: its status and the message of its error body
// ({"error","details","requestId"}). It is exit code 1.
type APIError struct {
	Status    int
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.RequestID != "" {
		return fmt.Sprintf("%s (HTTP %d, request %s)", msg, e.Status, e.RequestID)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

// UnreachableError is a request that got no HTTP answer: connection refused, DNS, TLS, a
// timeout. It is exit code 3.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("bindgate at %s is unreachable: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Client calls bindgate's API with a bearer token.
type Client struct {
	base  string // without a trailing slash
	token string
	hc    *http.Client
}

// NewClient returns a client for the API at base (http(s)://host:port).
func NewClient(base, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--url %q: want http://host:port or https://host:port", base)
	}
	return &Client{base: strings.TrimSuffix(base, "/"), token: token, hc: hc}, nil
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Call is one request to the API.
type Call struct {
	Method, Path string
	Query        url.Values
	Body         any    // JSON-encoded when not nil
	IfMatch      string // a serial for If-Match; "" sends none
}

// Do sends c and returns the 2xx answer, an *APIError or an *UnreachableError.
func (cl *Client) Do(ctx context.Context, c Call) (*Response, error) {
	u := cl.base + c.Path
	if len(c.Query) > 0 {
		u += "?" + c.Query.Encode()
	}
	var body io.Reader
	if c.Body != nil {
		b, err := json.Marshal(c.Body)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, u, body)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.IfMatch != "" {
		req.Header.Set("If-Match", `"`+c.IfMatch+`"`)
	}
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	resp, err := cl.hc.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, &UnreachableError{URL: cl.base, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &UnreachableError{URL: cl.base, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, apiError(resp.StatusCode, b)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// apiError decodes the API's error body; a body that is not one is shown as text.
func apiError(status int, body []byte) *APIError {
	var eb struct {
		Error     string `json:"error"`
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal(body, &eb) == nil && eb.Error != "" {
		return &APIError{Status: status, Message: eb.Error, RequestID: eb.RequestID}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &APIError{Status: status, Message: msg}
}

// JSON sends c and decodes the 2xx answer into v; it returns the answer too.
func (cl *Client) JSON(ctx context.Context, c Call, v any) (*Response, error) {
	resp, err := cl.Do(ctx, c)
	if err != nil {
		return nil, err
	}
	if v != nil {
		if err := json.Unmarshal(resp.Body, v); err != nil {
			return resp, fmt.Errorf("%s %s: the answer is not the expected JSON: %w", c.Method, c.Path, err)
		}
	}
	return resp, nil
}

// zonePath is /api/v1/zones/{zone}{suffix}, the zone escaped.
func zonePath(zone, suffix string) string {
	return "/api/v1/zones/" + url.PathEscape(zone) + suffix
}
