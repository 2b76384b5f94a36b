package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printJSON writes the API's JSON answer indented, as is otherwise.
func printJSON(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		_, err = w.Write(body)
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// table writes aligned columns: the header, then the rows.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// confirm asks question on stderr and reads the answer from stdin. yes skips it; a stdin
// that is not a terminal is a usage error rather than a silent yes or no.
func (a *app) confirm(question string, yes bool) error {
	if yes {
		return nil
	}
	if !a.env.IsTerminal(a.env.Stdin) {
		return usagef("stdin is not a terminal, so nobody can confirm: pass --yes to apply without asking")
	}
	fmt.Fprintf(a.env.Stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.env.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errDeclined
}

// progress is a one-line bar on stderr, drawn only when stderr is a terminal (so logs and
// pipes get no carriage returns). A dozen lines rather than a dependency: nothing more
// than "n of total" is needed.
type progress struct {
	w     io.Writer
	label string
	total int
	done  int
	on    bool
}

func (a *app) progress(label string, total int) *progress {
	return &progress{w: a.env.Stderr, label: label, total: total, on: total > 1 && a.env.IsTerminal(a.env.Stderr)}
}

// add marks n more done and redraws.
func (p *progress) add(n int) {
	p.done += n
	if !p.on {
		return
	}
	const width = 30
	fill := width * p.done / p.total
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.done, p.total)
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.on && p.done > 0 {
		fmt.Fprintln(p.w)
	}
}
