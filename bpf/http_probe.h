/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one definition of what the kernel side hands to user space. The Java mirror is
 * io.httpprofiler.capture.EventLayout; EventLayoutTest reads this struct and these enums back from the compiled object's
 * BTF and fails if the two ever disagree.
 */
#ifndef HTTP_PROBE_H
#define HTTP_PROBE_H

/* Largest payload one ring buffer record carries; larger transfers become several records. */
#define MAX_RECORD_DATA 16384
/* Upper bound on records one socket call produces (and on iovec segments walked); the rest is counted, not copied. */
#define MAX_RECORDS_PER_CALL 96
#define MAX_IOV_SEGMENTS 32

enum event_kind {
	EVENT_OPEN = 1,  /* started tracking a connection: addresses, role, comm */
	EVENT_DATA = 2,  /* payload bytes at a stream position */
	EVENT_CLOSE = 3, /* close() on a tracked fd; positions are final */
};

enum direction {
	DIRECTION_EGRESS = 0,  /* the traced process wrote */
	DIRECTION_INGRESS = 1, /* the traced process read */
};

enum role {
	ROLE_UNKNOWN = 0,
	ROLE_SERVER = 1, /* socket came from accept() */
	ROLE_CLIENT = 2, /* socket came from connect() */
};

/* Why a marker (a DATA record with data_len 0) carries no bytes. Data records say MARKER_NONE. */
enum marker_reason {
	MARKER_NONE = 0,
	MARKER_SENDFILE = 1,      /* sent from a file: the bytes never passed through user memory */
	MARKER_CAPTURE_LIMIT = 2, /* past the per-call capture cap (max_capture_per_call, record or segment limits) */
	MARKER_SKIPPED = 3,       /* a body past --max-body, in a skip range: nobody keeps it */
	MARKER_UNREADABLE = 4,    /* user memory the kernel could not read */
};

/* Indexes into the per-CPU `counters` array. */
enum counter {
	COUNTER_RINGBUF_FULL_RECORDS = 0, /* records that could not be written: ring buffer full */
	COUNTER_RINGBUF_FULL_BYTES = 1,   /* payload bytes in those records */
	COUNTER_CONN_TABLE_FULL = 2,      /* connections not tracked: the connection table was full */
	COUNTER_CAPPED_BYTES = 3,         /* bytes past the per-call capture cap or sent with sendfile: not copied */
	COUNTER_SKIPPED_BYTES = 4,        /* body bytes past --max-body, not copied (found by the kernel or user space) */
	COUNTER_UNREADABLE_BYTES = 5,     /* bytes the kernel could not read from user memory */
	COUNTER_MAX = 6,
};

enum config_flags {
	CONFIG_FILTER_PIDS = 1,
	CONFIG_FILTER_PORTS = 2,
	CONFIG_FILTER_NETNS = 4,
};

struct probe_config {
	__u32 own_tgid;            /* the profiler itself: never traced */
	__u32 flags;               /* enum config_flags */
	__u64 netns_inode;         /* with CONFIG_FILTER_NETNS: only sockets in this network namespace */
	__u32 max_capture_per_call; /* bytes copied from one socket call at most */
	__u32 wakeup_bytes;        /* wake user space once this much is waiting; 0 = on every record */
	__u64 pidns_dev;           /* the profiler's pid namespace (st_dev, st_ino of /proc/self/ns/pid): pids are */
	__u64 pidns_inode;         /* reported as seen from there; 0 = the kernel's global pids */
	__u64 max_body;            /* body bytes user space keeps (--max-body): a Content-Length body the kernel finds in
	                            * a large call is copied this far and only counted beyond */
};

/* Key and value of the `skips` map: "on this connection and direction, do not copy the bytes in [from, until)" (a body
 * past --max-body that nobody will keep). Written by user space once it parsed a head, and by the kernel itself when a
 * large call starts with a head it can read (see learn_body). */
struct skip_key {
	__u32 tgid;
	__s32 fd;
	__u32 direction; /* enum direction */
};

struct skip_range {
	__u64 generation; /* the connection's generation: a reused fd must not inherit it */
	__u64 from;
	__u64 until;
};

/* Every ring buffer record is one of these, followed by data_len payload bytes for EVENT_DATA. */
struct probe_event {
	__u64 timestamp_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 generation;   /* timestamp_ns when the connection was first seen: tells a reused fd apart */
	__u64 position;     /* stream offset of data[0] in this direction (EVENT_CLOSE: egress total) */
	__u64 call_size;    /* bytes the whole socket call moved (EVENT_CLOSE: ingress total); for a DATA record with
	                     * data_len 0 (a marker): bytes at `position` that moved but were not copied */
	__u32 tgid;
	__u32 tid;
	__s32 fd;
	__u32 data_len;
	__u8 kind;          /* enum event_kind */
	__u8 direction;     /* enum direction */
	__u8 role;          /* enum role */
	__u8 family;        /* AF_INET or AF_INET6 */
	__u16 local_port;   /* host byte order */
	__u16 remote_port;  /* host byte order */
	__u8 local_addr[16];  /* IPv4 in the first 4 bytes, network byte order */
	__u8 remote_addr[16];
	char comm[16];      /* thread group leader's comm (EVENT_OPEN only) */
	__u8 marker_reason; /* enum marker_reason: why a DATA record without data carries none; 0 on every other record */
	__u8 reserved[7];   /* zero; keeps data[] at sizeof(struct probe_event), 8-aligned */
	__u8 data[];
};

#endif
