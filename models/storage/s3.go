package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Bucket stores files as objects in a bucket of an S3-compatible object
// store (AWS S3, MinIO, SeaweedFS, Ceph …), so that every instance of the
// portal reads the same files without sharing a folder.
type Bucket struct {
	client *minio.Client
	bucket string
}

// S3Config says where the bucket is and with which keys to reach it. The
// portal reads the keys from the environment, as every S3 tool does
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
type S3Config struct {
	// Endpoint is the store's URL: https://s3.example.com, or
	// http://127.0.0.1:8333 for a store on this machine.
	Endpoint     string
	Bucket       string
	Region       string // may be empty where the store has none
	AccessKey    string
	SecretKey    string
	SessionToken string
}

// NewBucket connects to the bucket's store. It sends nothing yet: Check
// tells whether the bucket answers.
func NewBucket(cfg S3Config) (*Bucket, error) {
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Bucket{client: client, bucket: cfg.Bucket}, nil
}

// MakeBucket creates the configured bucket if it does not exist yet.
func MakeBucket(ctx context.Context, cfg S3Config) error {
	client, err := newClient(cfg)
	if err != nil {
		return err
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil || exists {
		return err
	}
	return client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
}

func newClient(cfg S3Config) (*minio.Client, error) {
	endpoint, err := url.Parse(cfg.Endpoint)
	if err != nil || endpoint.Host == "" || (endpoint.Scheme != "http" && endpoint.Scheme != "https") ||
		(endpoint.Path != "" && endpoint.Path != "/") || endpoint.RawQuery != "" || endpoint.User != nil {
		// The value is not repeated: it could hold credentials.
		return nil, errors.New("storage: the S3 endpoint must be http(s)://host[:port], without a path or credentials")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("storage: no S3 bucket named")
	}
	client, err := minio.New(endpoint.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure: endpoint.Scheme == "https",
		Region: cfg.Region,
		// Path-style addressing works with every store; virtual hosts need
		// a DNS name per bucket.
		BucketLookup: minio.BucketLookupPath,
		// A store that is down answers within a second or two, not after
		// ten tries with back-off.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return client, nil
}

// Put uploads a file whole; the store makes it visible only once it is
// complete.
func (b *Bucket) Put(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := b.client.PutObject(ctx, b.bucket, name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
	return unavailable(err)
}

// Open opens a stored object for reading from any position: each read
// past what was fetched asks the store for the range it needs, so a range
// request does not fetch the whole file.
func (b *Bucket) Open(ctx context.Context, name string) (File, error) {
	if err := checkName(name); err != nil {
		return nil, ErrNotFound
	}
	object, err := b.client.GetObject(ctx, b.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, unavailable(err)
	}
	// GetObject sends nothing until the first read; Stat asks now, so that
	// a missing object is a 404 before any header is written.
	if _, err := object.Stat(); err != nil {
		_ = object.Close()
		if missing(err) {
			return nil, ErrNotFound
		}
		return nil, unavailable(err)
	}
	return object, nil
}

// Delete removes an object; removing one that is not there is no error.
func (b *Bucket) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return unavailable(b.client.RemoveObject(ctx, b.bucket, name, minio.RemoveObjectOptions{}))
}

// Check tells whether the bucket answers.
func (b *Bucket) Check(ctx context.Context) error {
	exists, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("storage: bucket %q does not exist", b.bucket)
	}
	return nil
}

// missing reports whether the store said there is no such object (not
// that there is no such bucket: that is a setting to fix, not a 404).
func missing(err error) bool {
	return minio.ToErrorResponse(err).Code == minio.NoSuchKey
}

// unavailable marks an error that means the store could not answer: no
// reply at all, or a 5xx (SlowDown, InternalError, ServiceUnavailable).
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var netErr net.Error
	if minio.ToErrorResponse(err).StatusCode >= http.StatusInternalServerError || errors.As(err, &netErr) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
