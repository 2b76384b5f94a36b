package tlsconf

import (
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/bindgate/bindgate/internal/filewatch"
)

// The settings a FileError names (docs/contract.md §14.1).
const (
	SettingCert     = "BIND_TLS_CERT"
	SettingKey      = "BIND_TLS_KEY"
	SettingClientCA = "BIND_TLS_CLIENT_CA"
)

// ErrKeyMismatch means the private key does not belong to the certificate's public key.
var ErrKeyMismatch = errors.New("the private key does not match the certificate in " + SettingCert)

// FileError is a TLS file that could not be read or did not load. It names the setting and the
// path; Err never holds the file's content (docs/contract.md §19 B-7).
type FileError struct {
	Setting string // SettingCert, SettingKey or SettingClientCA
	Path    string
	Err     error
}

func (e *FileError) Error() string { return e.Setting + " " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause, for errors.Is (fs.ErrNotExist, ErrKeyMismatch).
func (e *FileError) Unwrap() error { return e.Err }

// file indexes into files and sums.
const (
	fileCert = iota
	fileKey
	fileCA
	nFiles
)

var settings = [nFiles]string{SettingCert, SettingKey, SettingClientCA}

// sums holds the SHA-256 of each file's content; the CA entry is zero when there is no CA file.
type sums [nFiles][sha256.Size]byte

// bundle is a loaded set: what handshakes use, and the content it came from.
type bundle struct {
	sums      sums
	cert      *tls.Certificate
	clientCAs *x509.CertPool // nil without BIND_TLS_CLIENT_CA
}

// read reads every configured file by path, so a symlink swapped since the last read is
// followed to the new content. The CA entry has no data without BIND_TLS_CLIENT_CA.
func read(paths [nFiles]string) ([]filewatch.File, error) {
	f := make([]filewatch.File, nFiles)
	for i, p := range paths {
		f[i].Path = p
		if p == "" {
			continue
		}
		b, err := filewatch.ReadFile(p)
		if err != nil {
			return nil, &FileError{Setting: settings[i], Path: p, Err: err}
		}
		f[i].Data = b
	}
	return f, nil
}

// parse turns one reading into a bundle.
func parse(paths [nFiles]string, f []filewatch.File) (*bundle, error) {
	fail := func(i int, err error) (*bundle, error) {
		return nil, &FileError{Setting: settings[i], Path: paths[i], Err: err}
	}
	chain, err := certificates(f[fileCert].Data)
	if err != nil {
		return fail(fileCert, err)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return fail(fileCert, fmt.Errorf("first certificate: %w", err))
	}
	key, err := privateKey(f[fileKey].Data)
	if err != nil {
		return fail(fileKey, err)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(leaf.PublicKey) {
		return fail(fileKey, ErrKeyMismatch)
	}
	var sums sums
	for i := range f {
		if f[i].Path != "" {
			sums[i] = sha256.Sum256(f[i].Data)
		}
	}
	b := &bundle{sums: sums, cert: &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}}
	if paths[fileCA] == "" {
		return b, nil
	}
	cas, err := certificates(f[fileCA].Data)
	if err != nil {
		return fail(fileCA, err)
	}
	b.clientCAs = x509.NewCertPool()
	for i, der := range cas {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return fail(fileCA, fmt.Errorf("certificate %d: %w", i+1, err))
		}
		b.clientCAs.AddCert(c)
	}
	return b, nil
}

// certificates returns the DER of every CERTIFICATE block. Any other block is refused: a
// private key in a certificate file is a mistake to report, not to skip.
func certificates(data []byte) ([][]byte, error) {
	var ders [][]byte
	for n := 1; ; n++ {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			if strings.HasSuffix(blk.Type, "PRIVATE KEY") {
				return nil, fmt.Errorf("PEM block %d is a private key, not a certificate (are %s and %s swapped?)",
					n, SettingCert, SettingKey)
			}
			return nil, fmt.Errorf("PEM block %d is %q, not CERTIFICATE", n, blk.Type)
		}
		ders = append(ders, blk.Bytes)
	}
	if len(ders) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return ders, nil
}

// privateKey parses the first private-key block. Parse errors are replaced by fixed text:
// they come from the key's own bytes, and nothing about a key may reach a log.
func privateKey(data []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return nil, errors.New("no PEM PRIVATE KEY block")
		}
		if blk.Type == "CERTIFICATE" {
			continue // some tools write the certificate into the key file too
		}
		if !strings.HasSuffix(blk.Type, "PRIVATE KEY") {
			return nil, fmt.Errorf("PEM block %q is not a private key", blk.Type)
		}
		var key any
		var err error
		switch blk.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("the %s block does not parse (PKCS #8, PKCS #1 RSA or SEC 1 EC expected)", blk.Type)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("the %s block holds a %T, not a signing key", blk.Type, key)
		}
		return s, nil
	}
}
