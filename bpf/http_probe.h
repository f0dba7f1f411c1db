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
/*
 * Steps of the payload loop for one socket call: each uses up an iovec segment, fills a record or ends the call, so
 * this covers UIO_MAXIOV (1024, the most segments readv/writev/sendmsg accept) and 96 records of MAX_RECORD_DATA (the
 * default per-call cap is 1 MiB; a record is sent once it holds more than half of MAX_RECORD_DATA). Whatever a call
 * moves beyond what the steps reach is counted and announced by a marker, never silently left out.
 */
#define MAX_IOV_SEGMENTS 1024
#define MAX_RECORDS_PER_CALL 96
#define MAX_PAYLOAD_STEPS (MAX_IOV_SEGMENTS + 2 * MAX_RECORDS_PER_CALL)

enum event_kind {
	EVENT_OPEN = 1,  /* started tracking a connection: addresses, role, comm */
	EVENT_DATA = 2,  /* payload bytes at a stream position */
	EVENT_CLOSE = 3, /* close() on a tracked fd; positions are final */
	EVENT_EXEC = 4,  /* --tls auto: a traced process exec'd (tgid, comm): it may bring a TLS library to probe */
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

/*
 * What a loss did to a connection, said by the next record of it that gets through (a bit set on that record). A full
 * ring loses whole records; lost bytes show as a jump in position, but what a lost open or close said, and that the
 * other direction lost records before this one, would not show at all.
 */
enum loss_flags {
	LOSS_OPEN = 1,         /* the connection's OPEN was lost: this record carries what it said (addresses, comm) */
	LOSS_EGRESS = 2,       /* egress records of this connection were lost since its last record that got through */
	LOSS_INGRESS = 4,      /* ingress records likewise */
	LOSS_CLOSE_BEFORE = 8, /* the CLOSE of the previous connection on this fd was lost */
};

/*
 * What a connection carries as far as TLS goes (the `tls` byte of every record). A connection found to carry TLS starts
 * a new generation (an EVENT_OPEN with this set): its socket payload (ciphertext) is never copied from then on, and
 * TLS_PLAINTEXT generations get their bytes from uprobes on the TLS library, at their own stream positions.
 */
enum tls_state {
	TLS_NONE = 0,       /* plain TCP (or not known to be TLS) */
	TLS_PLAINTEXT = 1,  /* the application's plaintext, from the TLS library's read/write calls */
	TLS_CIPHERTEXT = 2, /* TLS records seen on the socket and no plaintext (yet): a library the probes do not reach */
	TLS_HANDSHAKE = 3,  /* TLS records moved inside a probed library's call (its handshake): plaintext follows there */
};

/* Indexes into the per-CPU `counters` array. */
enum counter {
	COUNTER_RINGBUF_FULL_RECORDS = 0, /* records that could not be written: ring buffer full */
	COUNTER_RINGBUF_FULL_BYTES = 1,   /* payload bytes in those records */
	COUNTER_CONN_TABLE_FULL = 2,      /* connections not tracked: the connection table was full */
	COUNTER_CAPPED_BYTES = 3,         /* bytes past the per-call capture cap or sent with sendfile: not copied */
	COUNTER_SKIPPED_BYTES = 4,        /* body bytes past --max-body, not copied (found by the kernel or user space) */
	COUNTER_UNREADABLE_BYTES = 5,     /* bytes the kernel could not read from user memory */
	COUNTER_TLS_NO_SOCKET = 6,        /* TLS library calls whose socket could not be told: their bytes not copied */
	COUNTER_MAX = 7,
};

enum config_flags {
	CONFIG_FILTER_PIDS = 1,
	CONFIG_FILTER_PORTS = 2,
	CONFIG_FILTER_NETNS = 4,
	CONFIG_TLS = 8, /* --tls auto: TLS library uprobes are attached; connections carrying TLS records are marked */
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

/* Value of the `lost_closes` map, keyed by (tgid, fd) as struct skip_key without its direction: a CLOSE record the full
 * ring could not take. User space reads these every second (then drains the ring, so that they come after the
 * connection's last records), which gives it the close it missed, final positions included. It never deletes them
 * (the kernel may have put a newer one in the same place meanwhile): it tells them apart by generation, and the LRU
 * map ages them out. */
struct lost_close {
	__u64 generation;
	__u64 egress;  /* final positions, as EVENT_CLOSE has them */
	__u64 ingress;
	__u64 timestamp_ns;
	__u32 tid;
	__u8 loss;      /* enum loss_flags the lost record carried */
	__u8 announced; /* the next connection on the fd said LOSS_CLOSE_BEFORE already */
	__u8 reserved[2];
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
	__u16 local_port;   /* host byte order; addresses and ports: EVENT_OPEN, and any record with LOSS_OPEN */
	__u16 remote_port;  /* host byte order */
	__u8 local_addr[16];  /* IPv4 in the first 4 bytes, network byte order */
	__u8 remote_addr[16];
	char comm[16];      /* thread group leader's comm (EVENT_OPEN, and any record with LOSS_OPEN) */
	__u8 marker_reason; /* enum marker_reason: why a DATA record without data carries none; 0 on every other record */
	__u8 loss;          /* enum loss_flags: what was lost of this connection before this record; usually 0 */
	__u8 tls;           /* enum tls_state of the connection's generation */
	__u8 tls_library;   /* TLS_PLAINTEXT: which library (user space's index, the uprobe's attach cookie) */
	__u8 reserved[4];   /* zero; keeps data[] at sizeof(struct probe_event), 8-aligned */
	__u8 data[];
};

#endif
