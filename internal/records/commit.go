package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/zonecopy"
)

// committer group-commits update messages, per zone (the throughput part of issue 3). While
// one message for a zone is in flight, later changes queue; the next message carries all of
// them that can share it, and every caller gets its own result.
//
// After a message of several parts the committer lingers (linger) for as many new changes as
// it answered, briefly, so writers that each wait for their answer keep sharing messages.
//
// Sharing is safe only when the combined message means what sending the parts one after the
// other would: BIND checks every prerequisite before applying any update, so parts must touch
// disjoint owner names, and a part with a zone-wide prerequisite (If-Match on the SOA) always
// travels alone. Queue order is kept: a part that cannot join the batch ends it.
//
// When a combined message fails for a reason that may belong to one part only (a
// prerequisite, REFUSED by an update-policy, NOTZONE, FORMERR), nothing was applied (RFC 2136
// updates are atomic), so each part is resent alone and gets its own answer.
//
// The committer owns its runners: each runs under root, is counted in wg, and close stops
// them (issue 8 item 5). After close, submit fails at once with 503.
type committer struct {
	dns     DNS
	maxRRs  int
	timeout time.Duration
	// maxWait bounds how long the runner lingers after a batch of several parts for its
	// callers' next changes (linger); 0 turns lingering off.
	maxWait time.Duration
	onSend  func(parts, records int, err error)
	// copy, when set, records every applied message in the zone copy before its callers are
	// answered (issue 9 item 2), within copyTimeout.
	copy        Copy
	copyTimeout time.Duration
	// local, when set, says whether a zone's updates may be applied to the copy ahead of
	// named (exchangeLocal), and with which serial-update-method.
	local func(zone string) (method string, ok bool)

	root   context.Context // parent of every exchange; canceled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per running zone queue

	mu     sync.Mutex
	queues map[string]*queue
	closed bool // guarded by mu: submit refuses new jobs
}

type queue struct {
	pending []*job
	// want, while the runner lingers, is how many queued jobs end the wait; submit signals
	// wake when pending reaches it (both guarded by committer.mu).
	want int
	wake chan struct{}
}

// job is one caller's message.
type job struct {
	msg        *message
	wantSerial bool
	actor      zonecopy.Actor // the API caller, for the copy's history
	// replan, when set, plans the job's change again on the copy (planned.go); msg was
	// planned on the copy's generation planGen.
	replan  func(zonecopy.Snapshot) (*message, error)
	planGen uint64

	done   chan struct{}
	err    error
	serial uint32

	taken    bool // guarded by committer.mu: the runner has it
	canceled bool // guarded by committer.mu: the caller left before it was taken
}

func newCommitter(d DNS, maxRRs int, timeout time.Duration, onSend func(int, int, error)) *committer {
	root, cancel := context.WithCancel(context.Background())
	return &committer{dns: d, maxRRs: maxRRs, timeout: timeout, onSend: onSend, root: root, cancel: cancel,
		queues: map[string]*queue{}}
}

// Close stops the group committer: later writes fail at once with 503, an update in flight is
// canceled (its caller gets 503) and Close returns once no goroutine of the Service is left.
// Call it after the API server has drained its requests and before the DNS client closes.
func (s *Service) Close() error {
	s.commit.close()
	return nil
}

// errClosed is the cause of the 503 a job gets when the committer is closed before or while
// it waits.
var errClosed = errors.New("records: shutting down")

// close refuses new jobs, cancels the exchange in flight (its caller gets 503: the change may
// or may not have been applied, as when a caller leaves), fails every queued job with 503 and
// waits for the runners. The wait is bounded by how quickly the DNS client honours a canceled
// context. The API server has drained its requests before this runs, so normally nothing is
// in flight. close is idempotent.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// submit queues j for zone and waits for its result or ctx. A caller that leaves before its
// message is taken is dropped; one that leaves while it is in flight gets 503, since the
// change may or may not have been applied.
func (c *committer) submit(ctx context.Context, zone string, j *job) error {
	j.done = make(chan struct{})
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return unavailable(fmt.Errorf("update of zone %s: %w", zone, errClosed))
	}
	q, running := c.queues[zone]
	if !running {
		q = &queue{wake: make(chan struct{}, 1)}
		c.queues[zone] = q
		// Under mu, so that close's Wait never races this Add.
		c.wg.Go(func() { c.run(zone, q) })
	}
	q.pending = append(q.pending, j)
	if q.want > 0 && len(q.pending) >= q.want {
		q.want = 0
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	select {
	case <-j.done:
		return j.err
	case <-ctx.Done():
		c.mu.Lock()
		if !j.taken {
			j.canceled = true
		}
		c.mu.Unlock()
		return unavailable(fmt.Errorf("waiting for the update of zone %s: %w", zone, ctx.Err()))
	}
}

// run sends the zone's queue until it is empty, then retires the queue. Once the committer
// is closed it fails what is still queued instead. After a batch of several parts it lingers
// for their callers' next changes (linger).
func (c *committer) run(zone string, q *queue) {
	var (
		answered int           // parts of the batch just sent
		took     time.Duration // how long sending it took
	)
	for {
		if answered > 1 {
			c.linger(q, answered, min(c.maxWait, took))
		}
		c.mu.Lock()
		if c.root.Err() != nil {
			pending := slices.DeleteFunc(q.pending, func(j *job) bool { return j.canceled })
			for _, j := range pending {
				j.taken = true // its caller no longer touches it
			}
			q.pending = nil
			delete(c.queues, zone)
			c.mu.Unlock()
			for _, j := range pending {
				j.err = unavailable(fmt.Errorf("update of zone %s: %w", zone, errClosed))
				close(j.done)
			}
			return
		}
		batch := c.take(q)
		if len(batch) == 0 {
			delete(c.queues, zone)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		start := time.Now()
		c.send(zone, batch)
		answered, took = len(batch), time.Since(start)
	}
}

// linger waits, after a batch of n parts was answered, until n more jobs are queued than were
// then, or d has passed, or the committer closes. Writers that each wait for their change
// before sending the next (64 writers in a loop, say) otherwise split into two alternating
// batches: the callers of the batch just answered come back a moment after the next batch
// left with only those already queued, and named pays its cost per message (the update's
// journal fsync, its NOTIFY; bindgate the copy's write and flush) twice for the same
// writers. d is at most what sending the batch took: waiting longer would cost those queued
// more than sending them now and the returning ones next. A batch of one part does not
// linger, so a lone writer waits for nothing.
func (c *committer) linger(q *queue, n int, d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	q.want = len(q.pending) + n
	c.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-q.wake:
	case <-t.C:
	case <-c.root.Done():
	}
	t.Stop()
	c.mu.Lock()
	q.want = 0
	select {
	case <-q.wake: // a signal sent after the timer fired
	default:
	}
	c.mu.Unlock()
}

// take removes the next batch from q (c.mu held).
func (c *committer) take(q *queue) []*job {
	q.pending = slices.DeleteFunc(q.pending, func(j *job) bool { return j.canceled })
	var (
		batch []*job
		names = map[string]bool{}
		size  int
	)
	for _, j := range q.pending {
		if len(batch) > 0 {
			if j.msg.alone || batch[0].msg.alone || size+j.msg.size() > c.maxRRs || (j.replan == nil) != (batch[0].replan == nil) ||
				slices.ContainsFunc(j.msg.names, func(n string) bool { return names[n] }) {
				break
			}
		}
		for _, n := range j.msg.names {
			names[n] = true
		}
		size += j.msg.size()
		j.taken = true
		batch = append(batch, j)
	}
	q.pending = q.pending[len(batch):]
	return batch
}

// send delivers batch as one message, or part by part when the combined message failed for
// a reason that may be one part's.
func (c *committer) send(zone string, batch []*job) {
	if c.copy != nil && batch[0].replan != nil {
		c.sendPlanned(zone, batch)
		return
	}
	if len(batch) > 1 {
		serial, err := c.exchange(zone, batch)
		if err == nil || !perPart(err) {
			c.finish(zone, batch, serial, err)
			return
		}
	}
	for _, j := range batch {
		serial, err := c.exchange(zone, []*job{j})
		c.finish(zone, []*job{j}, serial, err)
	}
}

// perPart reports errors that may come from one part of a combined message only.
func perPart(err error) bool {
	_, tooLarge := errors.AsType[*tooLargeError](err) // the parts may fit one by one
	return tooLarge || errors.Is(err, dnsclient.ErrPrereq) || errors.Is(err, dnsclient.ErrRefused) || errors.Is(err, dnsclient.ErrNotZone) ||
		errors.Is(err, dnsclient.ErrNotAuth) || errors.Is(err, dnsclient.ErrProtocol)
}

// build is the one UPDATE message for jobs, with names compressed (RFC 1035 §4.1.4 applies
// to UPDATE messages too, and named accepts it, as from nsupdate): without compression a
// PATCH of 740 RRsets with short names already overflowed the message.
func build(zone string, jobs ...*job) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	m.Compress = true
	for _, j := range jobs {
		m.Answer = append(m.Answer, j.msg.prereq...)
		m.Ns = append(m.Ns, j.msg.updates()...)
	}
	return m
}

// appendable returns a copy of m whose sections can be appended to without changing m's. The
// records are m's own, not copies: nothing here modifies a record once it is in a message, and
// the DNS client signs and packs a copy of its own. A deep copy (dns.Msg.Copy) per send cost a
// record copy per record of the batch, on the committer's one goroutine.
func appendable(m *dns.Msg) *dns.Msg {
	c := *m
	c.Question = slices.Clone(m.Question)
	c.Answer = slices.Clone(m.Answer)
	c.Ns = slices.Clone(m.Ns)
	c.Extra = slices.Clone(m.Extra)
	return &c
}

// maxUpdateSize is what one UPDATE message may take before its TSIG record: a DNS message
// over TCP is at most 65,535 bytes (RFC 1035 §4.2.2), and 1 KiB is left for the signature.
const maxUpdateSize = dns.MaxMsgSize - 1024

// fits reports, as a *tooLargeError, a message for jobs that does not fit one UPDATE.
func fits(zone string, jobs ...*job) error {
	if upperLen(zone, jobs) <= maxUpdateSize {
		return nil // every change is checked on each of its plans: most are a record or a few
	}
	m := build(zone, jobs...)
	if n, over := overSize(m); over {
		return &tooLargeError{records: len(m.Answer) + len(m.Ns), bytes: n}
	}
	return nil
}

// upperLen bounds from above, without building it, the wire length of build(zone, jobs...):
// the header, the question (a name's wire form is at most its text's length plus one) and each
// record uncompressed (compression only shortens a message).
func upperLen(zone string, jobs []*job) int {
	q := len(zone) + 1
	if !dns.IsFqdn(zone) {
		q++
	}
	n := 12 + q + 4 // header; question name, type and class
	for _, j := range jobs {
		for _, sec := range [][]dns.RR{j.msg.prereq, j.msg.first, j.msg.dels, j.msg.adds} {
			for _, rr := range sec {
				n += dns.Len(rr)
			}
		}
	}
	return n
}

// overSize reports whether m (compressed, as build makes it) is over maxUpdateSize, and then its
// size. Compression only ever shortens a message, so one that fits uncompressed fits, and its
// length is found without the compression map (every change is checked on every plan, and a
// one-record change is always far below the limit).
func overSize(m *dns.Msg) (n int, over bool) {
	if compress := m.Compress; compress {
		m.Compress = false
		n = m.Len()
		m.Compress = compress
		if n <= maxUpdateSize {
			return n, false
		}
	}
	n = m.Len()
	return n, n > maxUpdateSize
}

// exchange builds and sends one message for jobs. With the zone copy, serial is the serial
// the message brought the zone to (zonesync's RecordUpdate), else nil: read it then.
func (c *committer) exchange(zone string, jobs []*job) (serial *uint32, err error) {
	m := build(zone, jobs...)
	records := len(m.Answer) + len(m.Ns)
	if n, over := overSize(m); over {
		err := &tooLargeError{records: records, bytes: n}
		c.observe(len(jobs), records, err)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.root, c.timeout)
	defer cancel()
	if c.copy != nil {
		// The zone's copy lock is held from before the update until the copy has it, so a
		// fetch started by named's NOTIFY for this change waits and the change keeps its
		// callers as actors.
		release, err := c.copy.Hold(ctx, zone)
		if err != nil {
			err = unavailable(fmt.Errorf("update of zone %s: waiting for the zone copy: %w", zone, err))
			c.observe(len(jobs), records, err)
			return nil, err
		}
		defer release()
		if c.local != nil {
			if method, ok := c.local(zone); ok {
				if serial, done, err := c.exchangeLocal(ctx, zone, jobs, m, method); done {
					return serial, err
				}
			}
		}
	}
	err = c.dns.Update(ctx, m)
	if err != nil && c.root.Err() != nil {
		err = unavailable(fmt.Errorf("update of zone %s: %w: %w", zone, errClosed, err))
	}
	c.observe(len(jobs), records, err)
	if err != nil || c.copy == nil {
		return nil, err
	}
	s, err := c.record(zone, jobs, m)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// exchangeLocal sends m with the zone copy's change made ahead of named (zonesync's Local,
// zonecopy.Tx): the message gets the copy's SOA as a prerequisite and the new SOA as its last
// update, so named applies it to exactly the data the copy computed the change from, with
// exactly the serial the copy records, or applies nothing; the copy computes the change, writes
// it and fsyncs it while the update is in flight. This spares the IXFR and most of the fsync the ordinary path waits for
// after the update (doc.go of zonesync). done is false when the ordinary path must run: the
// copy cannot take the update locally, the message would not fit, or a prerequisite failed
// (the zone may have moved under a direct update, or one of the callers' own prerequisites
// failed; the ordinary path tells which; err is then that failure). The zone's copy lock is
// held (Hold).
func (c *committer) exchangeLocal(ctx context.Context, zone string, jobs []*job, m *dns.Msg, method string) (serial *uint32, done bool, err error) {
	actors := jobActors(jobs)
	tx, err := c.copy.Local(ctx, zone, m.Ns, method, actors)
	if err != nil {
		return nil, false, nil
	}
	lm := appendable(m)
	own := slices.IndexFunc(lm.Answer, func(rr dns.RR) bool {
		return rr.Header().Rrtype == dns.TypeSOA && rr.Header().Class == dns.ClassINET
	})
	if own >= 0 {
		// A caller's If-Match prerequisite already names the SOA: it must be the copy's.
		if soa, ok := lm.Answer[own].(*dns.SOA); !ok || soa.Serial != tx.From().Serial {
			tx.Abort()
			return nil, false, nil
		}
	} else {
		pre := dns.Copy(tx.From()).(*dns.SOA)
		pre.Hdr.Ttl = 0
		lm.Answer = append(lm.Answer, pre)
	}
	lm.Ns = append(lm.Ns, tx.SOA())
	if _, over := overSize(lm); over {
		tx.Abort()
		return nil, false, nil
	}
	written := make(chan error, 1)
	go func() { written <- tx.Write() }()
	err = c.dns.Update(ctx, lm)
	werr := <-written
	if err != nil && c.root.Err() != nil {
		err = unavailable(fmt.Errorf("update of zone %s: %w: %w", zone, errClosed, err))
	}
	switch {
	case err == nil && werr == nil:
		c.observe(len(jobs), len(m.Answer)+len(m.Ns), nil)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(c.root), c.copyTimeout)
		tx.Commit(cctx)
		cancel()
		s := tx.Serial()
		return &s, true, nil
	case err == nil:
		// named applied the update but the copy's write failed: the ordinary record
		// (a transfer, the step matched by the callers' records) reports the copy's
		// trouble, as after any update.
		tx.Abort()
		c.observe(len(jobs), len(m.Answer)+len(m.Ns), nil)
		s, rerr := c.record(zone, jobs, m)
		if rerr != nil {
			return nil, true, rerr
		}
		return &s, true, nil
	case errors.Is(err, dnsclient.ErrPrereq):
		tx.Abort()
		return nil, false, err
	default:
		tx.Abort()
		c.observe(len(jobs), len(m.Answer)+len(m.Ns), err)
		return nil, true, err
	}
}

func jobActors(jobs []*job) []zonecopy.Actor {
	var actors []zonecopy.Actor
	for _, j := range jobs {
		if j.actor != (zonecopy.Actor{}) && !slices.Contains(actors, j.actor) {
			actors = append(actors, j.actor)
		}
	}
	return actors
}

// record stores the update m named just applied in the zone copy, attributed to the jobs'
// callers, and returns the serial m brought the zone to. BIND has the change already, so this never runs on a context a caller or the
// committer's close can cancel (STYLE.md §3a); its failure becomes the callers' answer
// (InsufficientStorage for a full disk, else Unavailable) and zonesync logs and counts it.
func (c *committer) record(zone string, jobs []*job, m *dns.Msg) (uint32, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.root), c.copyTimeout)
	defer cancel()
	serial, err := c.copy.RecordUpdate(ctx, zone, jobActors(jobs), m)
	if err == nil {
		return serial, nil
	}
	if errs.Is(err, errs.InsufficientStorage) {
		return 0, &errs.Error{Kind: errs.InsufficientStorage, Msg: "The change was applied in BIND but bindgate's zone copy storage is full", Err: err}
	}
	return 0, &errs.Error{Kind: errs.Unavailable, Msg: "The change was applied in BIND but could not be recorded in bindgate's zone copy", Err: err}
}

func (c *committer) observe(parts, records int, err error) {
	if c.onSend != nil {
		c.onSend(parts, records, err)
	}
}

// tooLargeError is a message that does not fit in one DNS message over TCP.
type tooLargeError struct{ records, bytes int }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("update message of %d records is %d bytes, more than %d", e.records, e.bytes, maxUpdateSize)
}

// finish hands each job its result. The serial is the one the zone copy's record of the
// update found (known, the update's own, even when another change followed at once); without
// a copy it is read once for the batch when a caller wants it.
func (c *committer) finish(zone string, jobs []*job, known *uint32, err error) {
	var serial uint32
	switch {
	case err != nil:
	case known != nil:
		serial = *known
	case slices.ContainsFunc(jobs, func(j *job) bool { return j.wantSerial }):
		serial, err = c.serial(zone)
	}
	for _, j := range jobs {
		j.err, j.serial = err, serial
		close(j.done)
	}
}

// serial reads the zone's serial after an update, once more if the first read fails.
func (c *committer) serial(zone string) (uint32, error) {
	var err error
	for range 2 {
		ctx, cancel := context.WithTimeout(c.root, c.timeout)
		var s uint32
		s, err = c.dns.Serial(ctx, zone)
		cancel()
		if err == nil {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: update applied, serial unknown: %w", errSerial, err)
}

// errSerial marks an update that was applied but whose new serial could not be read.
var errSerial = errors.New("serial read failed")
