// SPDX-License-Identifier: Apache-2.0

// logfmt_check decodes logfmt records with go-logfmt, the decoder that
// Loki-style pipelines use, so that the tests check the audit log against
// a real parser instead of their own. One record per input line; for each
// it prints one JSON line: {"pairs": [[key_hex, value_hex], ...]} with the
// decoded bytes in hex (exact, whatever the bytes are), or {"error": "..."}
// if go-logfmt rejects the record.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/go-logfmt/logfmt"
)

type result struct {
	Pairs [][2]string `json:"pairs,omitempty"`
	Error string      `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		dec := logfmt.NewDecoder(bytes.NewReader(in.Bytes()))
		var r result
		r.Pairs = [][2]string{}
		n := 0
		for dec.ScanRecord() {
			n++
			for dec.ScanKeyval() {
				r.Pairs = append(r.Pairs, [2]string{
					hex.EncodeToString(dec.Key()),
					hex.EncodeToString(dec.Value())})
			}
		}
		if err := dec.Err(); err != nil {
			r = result{Error: err.Error()}
		} else if n != 1 {
			r = result{Error: fmt.Sprintf("%d records on one line", n)}
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "logfmt_check:", err)
			os.Exit(2)
		}
	}
	out.Flush()
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "logfmt_check:", err)
		os.Exit(2)
	}
}
