// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http-profiler kernel side: copies TCP payloads of traced processes into a ring buffer, stamped with the connection's
 * identity and each byte's stream position.
 *
 * Two ways to get the payload, chosen by user space:
 *  - tracepoint mode: sys_enter_* remembers (fd, buffer) per thread, sys_exit_* copies what the return value says moved.
 *  - kprobe mode: tcp_sendmsg/tcp_recvmsg + tcp_cleanup_rbuf read the socket's iov_iter; the
 *    syscall tracepoints still run, because they are where the fd, accept/connect roles and close come from.
 * sendmmsg/recvmmsg are not traced: they batch datagrams and HTTP over TCP does not use them (no common server or client
 * library does); their bytes would simply not appear, and the positions (counted only from traced calls) stay consistent.
 * Either way the kernel keeps a byte position per connection and direction and advances it by everything that moved,
 * copied or not, so user space always knows exactly which bytes it is missing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "http_probe.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define MSG_PEEK 2
#define EINPROGRESS 115

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Referenced so that the layout and enums land in the object's BTF, where EventLayoutTest reads them. */
const struct probe_event *unused_probe_event __attribute__((unused));
const struct probe_config *unused_probe_config __attribute__((unused));
const enum event_kind *unused_event_kind __attribute__((unused));
const enum direction *unused_direction __attribute__((unused));
const enum role *unused_role __attribute__((unused));
const enum counter *unused_counter __attribute__((unused));
const enum config_flags *unused_config_flags __attribute__((unused));
const enum marker_reason *unused_marker_reason __attribute__((unused));
const enum loss_flags *unused_loss_flags __attribute__((unused));
const struct lost_close *unused_lost_close __attribute__((unused));
const enum tls_state *unused_tls_state __attribute__((unused));

struct conn_key {
	__u32 tgid;
	__s32 fd;
};

struct conn_info {
	__u64 generation;
	__u64 position[2]; /* indexed by enum direction */
	__u8 role;
	__u8 loss; /* enum loss_flags still to be said: set when a record is lost, cleared once one gets through */
	__u8 tls;          /* enum tls_state */
	__u8 tls_library;  /* TLS_PLAINTEXT: the attach cookie of the library the plaintext comes from */
};

/* What a socket call is, remembered from its entry until its exit. */
enum call_kind {
	CALL_BUFFER = 1,   /* read/write/sendto/recvfrom: one user buffer */
	CALL_IOVEC = 2,    /* readv/writev: an iovec array */
	CALL_MSGHDR = 3,   /* sendmsg/recvmsg: a user msghdr holding an iovec array */
	CALL_SENDFILE = 4, /* sendfile: payload from a file, counted not copied */
	CALL_ACCEPT = 5,
	CALL_CONNECT = 6,
};

enum iter_shape {
	ITER_SHAPE_NONE = 0,
	ITER_SHAPE_UBUF = 1,
	ITER_SHAPE_IOVEC = 2,
};

/* A snapshot of an iov_iter taken at tcp_sendmsg/tcp_recvmsg entry: later the kernel has advanced the real one. */
struct iter_snapshot {
	__u64 base;   /* user buffer (ubuf) or iovec array */
	__u64 offset; /* bytes already consumed from base / the first segment */
	__u64 segments;
	__u8 shape;   /* enum iter_shape */
};

struct call_state {
	__u32 tgid;   /* process and thread ids as the profiler's pid namespace sees them */
	__u32 tid;
	__u64 buffer; /* CALL_BUFFER: the buffer; CALL_IOVEC: the iovec array; CALL_MSGHDR: the msghdr */
	__u64 sock;   /* kprobe mode: the struct sock the kprobe saw */
	__u64 kprobe_emitted; /* kprobe mode, receive side: bytes tcp_cleanup_rbuf already emitted for this call */
	struct iter_snapshot iter;
	__s32 fd;
	__u32 iov_count;
	__u64 size;     /* read, recvfrom: the bytes asked for (a call that gets them all is likely a message's start) */
	__u8 kind;      /* enum call_kind */
	__u8 direction; /* enum direction */
	__u8 peek;      /* MSG_PEEK: data is not consumed, so not counted */
	__u8 in_tls_call; /* made inside a TLS library's read/write/handshake call: its payload is ciphertext */
	__u8 tls_library; /* in_tls_call: that library's attach cookie */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_config);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, struct conn_info);
} conns SEC(".maps");

/* LRU: an exit we never see (thread killed mid-call) must not leak an entry forever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct call_state);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} port_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct skip_key);
	__type(value, struct skip_range);
} skips SEC(".maps");

/*
 * CLOSE records the ring could not take, for user space to collect (see struct lost_close); the next connection on the
 * same fd also says that its predecessor's close was lost (LOSS_CLOSE_BEFORE), in case it is seen first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct conn_key);
	__type(value, struct lost_close);
} lost_closes SEC(".maps");

/*
 * How far into a record the payload loop still appends another iovec segment (the record is sent first otherwise). The
 * verifier bounds the offset and the length of each copy separately, so the buffer needs this much room past the
 * largest record; a per-CPU value may not exceed 32 KiB, hence not a whole second MAX_RECORD_DATA.
 */
#define MAX_GATHER_OFFSET 8192

/*
 * Records are assembled here, then copied into the ring with their real length: small writes take small space. The
 * header's flexible data[] is payload[] (a GNU extension clang supports; it keeps both names in BTF for the layout test).
 */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
struct event_buffer {
	struct probe_event header;
	__u8 payload[MAX_RECORD_DATA]; /* the largest record is header + payload */
	__u8 gather_room[MAX_GATHER_OFFSET];
};
#pragma clang diagnostic pop

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_buffer);
} scratch SEC(".maps");

/* iov_iter as it looked before 6.4 (`iov`) and before 5.14 (`type` instead of `iter_type`). */
struct iov_iter___pre_6_4 {
	const struct iovec *iov;
};

struct iov_iter___pre_5_14 {
	unsigned int type;
	size_t iov_offset;
	const struct iovec *iov;
	unsigned long nr_segs;
};

#define ITER_IOVEC_PRE_5_14 4

/*
 * Stops clang from fusing two range checks on x into one on a derived value (`x - 1 > max - 1`): older verifiers
 * (6.1) then know nothing about x itself and reject the memory access it sizes. Emits no instruction.
 */
#define keep_checks_apart(x) asm volatile("" : "+r"(x))

static __always_inline void count(__u32 index, __u64 amount)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);
	if (value)
		*value += amount;
}

static __always_inline struct probe_config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&settings, &zero);
}

/* Is this process traced at all? Cheap checks first: they run for every syscall on the machine. */
static __always_inline bool process_traced(struct probe_config *cfg, __u32 tgid)
{
	if (tgid == cfg->own_tgid)
		return false;
	if ((cfg->flags & CONFIG_FILTER_PIDS) && !bpf_map_lookup_elem(&pid_filter, &tgid))
		return false;
	return true;
}

/*
 * (tgid << 32 | tid) as seen from the profiler's pid namespace, so that a sidecar sharing the app's pid namespace reports
 * the app's own pids, and --pid and the own-pid exclusion compare like with like. Tasks whose namespace is another fall
 * back to the kernel's global ids.
 */
static __always_inline __u64 visible_ids(struct probe_config *cfg)
{
	if (cfg->pidns_inode) {
		struct bpf_pidns_info ns = {};
		if (bpf_get_ns_current_pid_tgid(cfg->pidns_dev, cfg->pidns_inode, &ns, sizeof(ns)) == 0)
			return ((__u64)ns.tgid << 32) | ns.pid;
	}
	return bpf_get_current_pid_tgid();
}

/*
 * Wakeup policy for `size` more bytes of records: wake the reader when the data waiting crosses a multiple of
 * wakeup_bytes, never otherwise. Forcing a wakeup for every record while more than the threshold waited (a reader busy
 * catching up) cost an irq_work self-IPI per record: an APIC write, which in a VM is an exit to the hypervisor. Under
 * load that was 13% of nginx's and wrk's CPU and took the BPF cost of a 1 KiB request/response from ~53 to ~5-10 us.
 * Every multiple rather than only the first: should concurrent producers on two CPUs both miss the first crossing, the
 * next one still wakes the reader (which also polls on a short timer, and sleeps only once it found the ring empty).
 */
static __always_inline __u64 ring_flags(struct probe_config *cfg, __u64 size)
{
	if (cfg->wakeup_bytes == 0)
		return 0;
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	return waiting / cfg->wakeup_bytes != (waiting + size) / cfg->wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										   : BPF_RB_NO_WAKEUP;
}

/* The struct sock behind fd if it is a TCP socket over IPv4/IPv6, else NULL. */
static __always_inline struct sock *tcp_sock_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *socket = BPF_CORE_READ(file, private_data);
	if (!socket)
		return NULL;
	struct sock *sk = BPF_CORE_READ(socket, sk);
	if (!sk)
		return NULL;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	if (BPF_CORE_READ(sk, sk_type) != SOCK_STREAM || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

static __always_inline bool sock_passes_filters(struct probe_config *cfg, struct sock *sk)
{
	if (cfg->flags & CONFIG_FILTER_NETNS) {
		__u64 inode = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
		if (inode != cfg->netns_inode)
			return false;
	}
	if (cfg->flags & CONFIG_FILTER_PORTS) {
		__u16 local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (!bpf_map_lookup_elem(&port_filter, &local_port) && !bpf_map_lookup_elem(&port_filter, &remote_port))
			return false;
	}
	return true;
}

static __always_inline void fill_identity(struct probe_event *e, __u32 kind, struct conn_key *key,
					  struct conn_info *conn, __u32 tid)
{
	e->timestamp_ns = bpf_ktime_get_ns();
	e->generation = conn->generation;
	e->tgid = key->tgid;
	e->tid = tid;
	e->fd = key->fd;
	e->kind = kind;
	e->role = conn->role;
	e->tls = conn->tls;
	e->tls_library = conn->tls_library;
}

/* What an OPEN says about the socket and the process: family, ports, addresses, comm. */
static __always_inline void fill_endpoints(struct probe_event *e, struct sock *sk)
{
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)e->local_addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->remote_addr, sk, __sk_common.skc_daddr);
	} else {
		bpf_core_read(e->local_addr, sizeof(e->local_addr), &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->remote_addr, sizeof(e->remote_addr), &sk->__sk_common.skc_v6_daddr);
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), &leader->comm);
}

/*
 * The losses a record of this connection reports (see enum loss_flags). When the OPEN was lost, the record also carries
 * what the OPEN said, read again from the socket behind the fd (still open: every caller runs inside a call on it).
 */
static __always_inline void fill_loss(struct probe_event *e, struct conn_key *key, struct conn_info *conn)
{
	e->loss = conn->loss;
	if (conn->loss & LOSS_OPEN) {
		struct sock *sk = tcp_sock_of_fd(key->fd);
		if (sk)
			fill_endpoints(e, sk);
	}
}

/*
 * EVENT_OPEN for the connection's current generation: addresses, role, comm, TLS state. An OPEN that cannot be written
 * is said by the connection's next record that can (LOSS_OPEN).
 */
static __always_inline void announce_conn(struct probe_config *cfg, struct conn_key *key, struct conn_info *conn,
					  struct sock *sk, __u32 tid)
{
	__u32 zero = 0;
	struct event_buffer *buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		return;
	struct probe_event *e = &buf->header;
	__builtin_memset(e, 0, sizeof(*e));
	fill_identity(e, EVENT_OPEN, key, conn, tid);
	fill_endpoints(e, sk);
	e->loss = conn->loss;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), ring_flags(cfg, sizeof(*e)))) {
		count(COUNTER_RINGBUF_FULL_RECORDS, 1);
		conn->loss |= LOSS_OPEN;
	} else {
		conn->loss = 0;
	}
}

/* Start tracking fd as a connection (replacing any predecessor on the same fd) and announce it. */
static __always_inline struct conn_info *open_conn(struct probe_config *cfg, struct conn_key *key, struct sock *sk,
						   __u8 role, __u32 tid)
{
	struct conn_info fresh = {};
	fresh.generation = bpf_ktime_get_ns();
	fresh.role = role;
	struct lost_close *predecessor = bpf_map_lookup_elem(&lost_closes, key);
	if (predecessor && !predecessor->announced) {
		fresh.loss = LOSS_CLOSE_BEFORE;
		predecessor->announced = 1; /* said once; user space still collects the entry */
	}
	if (bpf_map_update_elem(&conns, key, &fresh, BPF_ANY)) {
		count(COUNTER_CONN_TABLE_FULL, 1);
		return NULL;
	}
	struct conn_info *conn = bpf_map_lookup_elem(&conns, key);
	if (!conn)
		return NULL;
	announce_conn(cfg, key, conn, sk, tid);
	return conn;
}

/*
 * The tracked connection behind fd; a TCP socket whose start we missed is picked up here with role unknown. *tcp says
 * whether fd is a TCP socket at all, traced or not (filters).
 */
static __always_inline struct conn_info *find_conn(struct probe_config *cfg, struct conn_key *key, __u32 tid, bool *tcp)
{
	struct conn_info *conn = bpf_map_lookup_elem(&conns, key);
	*tcp = conn != NULL;
	if (conn)
		return conn;
	struct sock *sk = tcp_sock_of_fd(key->fd);
	*tcp = sk != NULL;
	if (!sk || !sock_passes_filters(cfg, sk))
		return NULL;
	return open_conn(cfg, key, sk, ROLE_UNKNOWN, tid);
}

/*
 * Where emit_payload is in its source. It lives in a per-CPU map rather than on the stack on purpose: the verifier does
 * not track values in map memory, so every loop step looks alike to it and the loop is verified in a few passes instead
 * of once per step and path (which exceeds its 1M instruction budget).
 */
struct payload_cursor {
	__u64 call_size; /* the call's full size, restored in the shared header after a marker */
	__u64 done;     /* bytes of the call handled (copied or skipped) */
	__u64 limit;    /* stop copying here */
	__u64 wanted;   /* source bytes still to pass over before copying */
	__u64 segment;  /* next iovec index */
	__u64 segments; /* iovec count */
	__u64 base;     /* user address of the next byte in the current segment */
	__u64 left;     /* bytes left in the current segment */
	__u64 source;   /* iovec array */
	__u64 kernel_iovec; /* the iovec array is in kernel memory (kprobe mode: the kernel copied it), not the caller's */
	__u64 gathered; /* payload bytes in the record being gathered; they end where `done` is */
	__u64 tail_skip; /* bytes at the end of the call not copied because they are in a skip range */
	__u64 sent;     /* records of this call written to the ring */
	__u64 lost;     /* a record of this call was lost after the last one written */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct payload_cursor);
} cursors SEC(".maps");

/*
 * Appends len (<= MAX_RECORD_DATA) bytes from user memory at src to the record being gathered in the per-CPU scratch
 * buffer, at offset `at` (<= MAX_GATHER_OFFSET) of its payload; the caller keeps at + len <= MAX_RECORD_DATA. Returns 0
 * if the memory was unreadable.
 * Global (non-inlined) functions like this one are checked once by the verifier instead of once per loop step of every
 * caller: that is what keeps the payload loops within its budget.
 */
__noinline int gather_chunk(__u64 src, __u64 at, __u64 len)
{
	__u32 zero = 0;
	struct event_buffer *buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf || at > MAX_GATHER_OFFSET)
		return 0;
	keep_checks_apart(len);
	if (len > MAX_RECORD_DATA)
		return 0;
	return bpf_probe_read_user(buf->header.data + at, len, (const void *)src) == 0;
}

/* Sends the record gathered so far: the shared header, now at `position`, plus its first len payload bytes. */
__noinline int flush_record(__u64 position, __u64 len, __u64 ring_flags)
{
	__u32 zero = 0;
	struct event_buffer *buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf || len == 0)
		return 0;
	keep_checks_apart(len);
	if (len > MAX_RECORD_DATA)
		return 0;
	buf->header.position = position;
	buf->header.data_len = len;
	buf->header.timestamp_ns = bpf_ktime_get_ns();
	struct payload_cursor *c = bpf_map_lookup_elem(&cursors, &zero);
	if (!c)
		return 0;
	if (bpf_ringbuf_output(&events, buf, sizeof(struct probe_event) + len, ring_flags)) {
		count(COUNTER_RINGBUF_FULL_RECORDS, 1);
		count(COUNTER_RINGBUF_FULL_BYTES, len);
		c->lost = 1;
		return 0;
	}
	c->sent++;
	c->lost = 0;
	return 1;
}


/* The counter that totals the bytes of markers with this reason (sendfile bytes count as capped: never copyable). */
static __always_inline __u32 marker_counter(__u64 reason)
{
	if (reason == MARKER_SKIPPED)
		return COUNTER_SKIPPED_BYTES;
	if (reason == MARKER_UNREADABLE)
		return COUNTER_UNREADABLE_BYTES;
	return COUNTER_CAPPED_BYTES;
}

/*
 * A DATA record without payload: `bytes` bytes at `position` moved but are not copied, and `reason` (enum
 * marker_reason) says why. User space learns the extent at once instead of at the next record, and can tell bytes not
 * copied by design from bytes lost (those leave no record at all, only a jump in position). The bytes are counted here,
 * under their reason's counter, so no caller counts them itself.
 */
__noinline int emit_marker(__u64 position, __u64 bytes, __u64 flags, __u64 reason)
{
	__u32 zero = 0;
	if (bytes == 0)
		return 0;
	count(marker_counter(reason), bytes);
	struct event_buffer *buf = bpf_map_lookup_elem(&scratch, &zero);
	struct payload_cursor *c = bpf_map_lookup_elem(&cursors, &zero);
	if (!buf || !c)
		return 0;
	buf->header.position = position;
	buf->header.data_len = 0;
	buf->header.call_size = bytes;
	buf->header.marker_reason = reason;
	buf->header.timestamp_ns = bpf_ktime_get_ns();
	if (bpf_ringbuf_output(&events, buf, sizeof(struct probe_event), flags)) {
		count(COUNTER_RINGBUF_FULL_RECORDS, 1);
		c->lost = 1;
	} else {
		c->sent++;
		c->lost = 0;
	}
	/* The header is shared with the data records still to come from this call. */
	buf->header.call_size = c->call_size;
	buf->header.marker_reason = MARKER_NONE;
	return 1;
}

/*
 * One step of the payload loop, driven by the cursor emit_payload prepared: takes the next iovec segment when the
 * current one is used up, passes over what is to be passed over, and appends one chunk to the record being gathered
 * (sending it first when it is too full to append to). Each step uses up a segment, fills a record or reaches the
 * limit, so a call needs at most segments + 2 * records steps. Segments of an iovec are gathered into shared records
 * (nginx's head + body writev is one record, not two): fewer ring records to reserve, wake for and decode. Returns 0
 * when the call is done (or its iovec unreadable), 1 when there is more.
 * Global (not inlined): the verifier checks it once, and the loop around it is a handful of instructions per step.
 */
__noinline int payload_step(__u64 position, __u64 flags)
{
	__u32 zero = 0;
	struct payload_cursor *c = bpf_map_lookup_elem(&cursors, &zero);
	if (!c || c->done >= c->limit)
		return 0;
	if (c->left == 0) {
		if (c->segment >= c->segments)
			return 0;
		struct iovec vec = {};
		void *at = (void *)(c->source + c->segment * sizeof(vec));
		if (c->kernel_iovec ? bpf_probe_read_kernel(&vec, sizeof(vec), at)
				    : bpf_probe_read_user(&vec, sizeof(vec), at))
			return 0;
		c->segment++;
		c->base = (__u64)vec.iov_base;
		c->left = vec.iov_len;
	}
	if (c->wanted > 0) {
		/* Still passing over: drop the whole segment or its head. */
		__u64 step = c->wanted < c->left ? c->wanted : c->left;
		c->base += step;
		c->left -= step;
		c->wanted -= step;
	}
	if (c->left == 0 || c->wanted > 0)
		return 1;
	/* Too far into the record to append to it (a full record is too): send it, start the next. */
	if (c->gathered > MAX_GATHER_OFFSET) {
		flush_record(position + c->done - c->gathered, c->gathered, flags);
		c->gathered = 0;
	}
	__u64 chunk = c->limit - c->done;
	if (chunk > c->left)
		chunk = c->left;
	if (chunk > MAX_RECORD_DATA - c->gathered)
		chunk = MAX_RECORD_DATA - c->gathered;
	if (gather_chunk(c->base, c->gathered, chunk)) {
		c->gathered += chunk;
	} else {
		/* Send what came before, then say the unreadable bytes were not copied (not lost). */
		flush_record(position + c->done - c->gathered, c->gathered, flags);
		c->gathered = 0;
		emit_marker(position + c->done, chunk, flags, MARKER_UNREADABLE);
	}
	c->base += chunk;
	c->left -= chunk;
	c->done += chunk;
	return 1;
}

/*
 * The payload loop: every segment of the call up to the per-call cap, then markers for the rest. Should the steps run
 * out first (a cap raised far beyond the default), the marker still covers exactly what was not copied. Global so
 * that the verifier checks it once per program however many call sites the program has.
 */
__noinline int copy_payload(__u64 position, __u64 len, __u64 flags)
{
	__u32 zero = 0;
	struct payload_cursor *c = bpf_map_lookup_elem(&cursors, &zero);
	if (!c)
		return 0;
	c->gathered = 0;
	for (int i = 0; i < MAX_PAYLOAD_STEPS; i++) {
		if (!payload_step(position, flags))
			break;
	}
	c = bpf_map_lookup_elem(&cursors, &zero);
	if (!c)
		return 0;
	flush_record(position + c->done - c->gathered, c->gathered, flags);
	if (c->done < len) {
		/* The uncopied tail: up to the cap's end, then the part in a skip range (each marker says which). */
		__u64 skipped = c->tail_skip < len - c->done ? c->tail_skip : len - c->done;
		__u64 capped = len - c->done - skipped;
		emit_marker(position + c->done, capped, flags, MARKER_CAPTURE_LIMIT);
		emit_marker(position + c->done + capped, skipped, flags, MARKER_SKIPPED);
	}
	return 0;
}

/* ---- bodies nobody keeps: the kernel's own look at a head ------------------------------------------------------- */

/*
 * A call much larger than --max-body, or a read that filled its buffer (HEAD_LOOK_MIN_BUFFER), that starts with an HTTP
 * head carrying Content-Length: the body's extent is known
 * at once, so everything past the kept part (in this call and in the calls that follow) need not leave the kernel.
 * User space learns the same from its parser, but only after the ring delivered the bytes, usually too late for a body
 * sent in a few large calls. Only plain cases are taken (Content-Length once, no Transfer-Encoding, a status that has a
 * body, the head within HEAD_SCAN bytes of the first buffer); anything else is left to user space. If it guesses wrong
 * (a body that happens to start with something head-like), the bytes are still counted and user space sees a gap it
 * reports: never silent. A response to HEAD has no body whatever its Content-Length; its call is small (no body follows
 * in it), so it is not looked at unless pipelined responses share a call with it.
 */
#define HEAD_SCAN 512
#define HEAD_MASK (HEAD_SCAN - 1)
/* Calls up to max_body + this are copied whole without looking: the kept body and a typical head fill them anyway. */
#define HEAD_LOOK_THRESHOLD 512
/*
 * A read that filled a buffer of at least this many bytes is looked at too, whatever its size: a client reading a large
 * response in 8 KiB reads (wrk, curl, most HTTP libraries) never makes a call larger than max_body, and user space's
 * word (the skip map) arrives after most of the body was copied whenever the ring is behind. A filled buffer says more
 * follows; small responses do not fill one, so they cost no look. Smaller buffers (line readers) are left alone.
 */
#define HEAD_LOOK_MIN_BUFFER 1024

struct head_scan {
	__u8 bytes[HEAD_SCAN + 16]; /* + 16: an 8-byte word can be read at any masked offset */
	/* Loop state lives in map memory for the verifier's sake, as payload_cursor's does. */
	__u64 avail;         /* bytes read into bytes[] */
	__u64 at;            /* next byte to look at */
	__u64 line_start;
	__u64 length;        /* Content-Length */
	__u64 digits;        /* 0: no Content-Length header seen; else digits of its value so far + 1 */
	__u64 head_end;      /* offset just past the blank line */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct head_scan);
} heads SEC(".maps");

/* Little-endian 8-byte words, compared after OR-ing 0x20 into every byte (ASCII lower case; '-' and ':' keep). */
#define WORD_CONTENT_ 0x2d746e65746e6f63ULL /* "content-" */
#define WORD_LENGTH_ 0x003a6874676e656cULL  /* "length:" (7 bytes) */
#define WORD_TRANSFER 0x726566736e617274ULL /* "transfer" */
#define WORD_ENCODIN 0x6e69646f636e652dULL  /* "-encodin" */
#define LOWER 0x2020202020202020ULL

static __always_inline __u64 word_at(struct head_scan *h, __u64 offset)
{
	__u64 word = 0;
	__builtin_memcpy(&word, &h->bytes[offset & HEAD_MASK], sizeof(word));
	return word | LOWER;
}

/* Reads the Content-Length value at h->at (spaces, then digits up to the line's \r or \n); leaves h->at there. */
__noinline int parse_length(void)
{
	__u32 zero = 0;
	struct head_scan *h = bpf_map_lookup_elem(&heads, &zero);
	if (!h)
		return 0;
	for (int n = 0; n < 32; n++) {
		__u64 at = h->at & HEAD_MASK;
		if (at >= h->avail || h->at >= HEAD_SCAN)
			return 0;
		__u8 c = h->bytes[at];
		if (c == '\r' || c == '\n')
			return h->digits > 1;
		h->at = at + 1;
		if (c == ' ' || c == '\t')
			continue;
		if (c < '0' || c > '9' || h->digits > 18)
			return 0;
		h->length = h->length * 10 + (c - '0');
		h->digits++;
	}
	return 0;
}

#define WORD_NEWLINES 0x0a0a0a0a0a0a0a0aULL
#define WORD_ONES 0x0101010101010101ULL
#define WORD_HIGHS 0x8080808080808080ULL
#define DE_BRUIJN 0x0218a392cd3d5dbfULL
/* Lowest set bit's index for (bit * DE_BRUIJN) >> 58: counts trailing zeros without a loop. */
static const __u8 TRAILING_ZEROS[64] = {
	0,  1,  2,  7,  3,  13, 8,  19, 4,  25, 14, 28, 9,  34, 20, 40, 5,  17, 26, 38, 15, 46,
	29, 48, 10, 31, 35, 54, 21, 50, 41, 57, 63, 6,  12, 18, 24, 27, 33, 39, 16, 37, 45, 47,
	30, 53, 49, 56, 62, 11, 23, 32, 36, 44, 52, 55, 61, 22, 43, 51, 60, 42, 59, 58,
};
/* Loop steps: one per 8-byte word without a newline, one per line. */
#define SCAN_STEPS (HEAD_SCAN / 8 + 24)

/* Offset of the first newline in the 8 bytes at `at` (8 if none); bytes past avail count as no newline. */
static __always_inline __u64 newline_in_word(struct head_scan *h, __u64 at)
{
	__u64 word = 0;
	__builtin_memcpy(&word, &h->bytes[at & HEAD_MASK], sizeof(word));
	__u64 x = word ^ WORD_NEWLINES;
	__u64 found = (x - WORD_ONES) & ~x & WORD_HIGHS; /* exact for the lowest newline byte */
	if (!found)
		return 8;
	return TRAILING_ZEROS[(((found & -found) * DE_BRUIJN) >> 58) & 63] >> 3;
}

/*
 * Scans the head in h->bytes; 1 when head_end and length hold a plain Content-Length head. One loop step per word
 * without a newline or per line, with loop state in map memory as for the payload: cheap for the verifier.
 */
__noinline int scan_head(void)
{
	__u32 zero = 0;
	struct head_scan *h = bpf_map_lookup_elem(&heads, &zero);
	if (!h)
		return 0;
	for (int n = 0; n < SCAN_STEPS; n++) {
		__u64 at = h->at;
		if (at >= h->avail || at >= HEAD_SCAN)
			return 0; /* the head goes on past what was read */
		at += newline_in_word(h, at);
		if (at >= h->avail)
			return 0;
		if (h->bytes[at & HEAD_MASK] != '\n') {
			h->at = at;
			continue;
		}
		h->at = at + 1;
		__u64 line = at - h->line_start; /* without the \n */
		if (line == 0 || (line == 1 && h->bytes[h->line_start & HEAD_MASK] == '\r')) {
			if (h->line_start == 0 || !h->digits)
				return 0; /* no start line, or no Content-Length */
			h->head_end = at + 1;
			return 1;
		}
		__u64 next = at + 1;
		h->line_start = next;
		if (next + 16 > h->avail)
			continue; /* too short to be a header we look for; still may be the blank line */
		__u64 first = word_at(h, next), second = word_at(h, next + 8);
		if (first == WORD_TRANSFER && second == WORD_ENCODIN)
			return 0; /* chunked (or worse): user space's parser decides */
		if (first == WORD_CONTENT_ && (second & 0x00ffffffffffffffULL) == WORD_LENGTH_) {
			if (h->digits)
				return 0; /* a second Content-Length: not a plain case */
			h->digits = 1;
			h->at = next + 15;
			if (!parse_length())
				return 0;
		}
	}
	return 0;
}

/* Does the buffer start like a message whose body Content-Length gives (a request, or a response with a body)? */
static __always_inline bool starts_like_head(struct head_scan *h)
{
	if (h->avail < 16)
		return false;
	__u64 first;
	__builtin_memcpy(&first, h->bytes, sizeof(first));
	if ((first & 0x00ffffffffffffffULL) == 0x002e312f50545448ULL) { /* "HTTP/1." */
		__u8 s0 = h->bytes[9], s1 = h->bytes[10], s2 = h->bytes[11];
		if (s0 < '2' || s0 > '9') /* 1xx has no body; so much the better for a garbled status */
			return false;
		return !(s0 == '2' && s1 == '0' && s2 == '4') && !(s0 == '3' && s1 == '0' && s2 == '4');
	}
	return h->bytes[0] >= 'A' && h->bytes[0] <= 'Z'; /* a method */
}

/*
 * Reads the first bytes of a call (flat buffer, or the first iovec segment) and, if they hold a plain Content-Length
 * head, records the body's part past max_body as a skip range for this connection and direction.
 */
static __always_inline void learn_body(__u64 source, bool iovec, bool kernel_iovec, __u64 len, __u64 position,
				       struct conn_key *key, struct conn_info *conn, __u8 direction, __u64 max_body)
{
	__u32 zero = 0;
	struct head_scan *h = bpf_map_lookup_elem(&heads, &zero);
	if (!h)
		return;
	__u64 base = source, avail = len;
	if (iovec) {
		struct iovec vec = {};
		if (kernel_iovec ? bpf_probe_read_kernel(&vec, sizeof(vec), (void *)source)
				 : bpf_probe_read_user(&vec, sizeof(vec), (void *)source))
			return;
		base = (__u64)vec.iov_base;
		avail = vec.iov_len < len ? vec.iov_len : len;
	}
	if (avail > HEAD_SCAN)
		avail = HEAD_SCAN;
	keep_checks_apart(avail);
	if (avail < 16 || bpf_probe_read_user(h->bytes, avail, (void *)base))
		return;
	h->avail = avail;
	if (!starts_like_head(h))
		return;
	h->at = 0;
	h->line_start = 0;
	h->digits = 0;
	h->length = 0;
	if (!scan_head())
		return;
	__u64 keep_end = position + h->head_end + max_body;
	__u64 body_end = position + h->head_end + h->length;
	if (keep_end >= body_end)
		return;
	struct skip_key skey = {.tgid = key->tgid, .fd = key->fd, .direction = direction};
	struct skip_range range = {.generation = conn->generation, .from = keep_end, .until = body_end};
	bpf_map_update_elem(&skips, &skey, &range, BPF_ANY);
}

/* emit_payload's copying part: the kernel's look at a head, skip ranges, then the payload loop. */
static __always_inline void copy_from_source(struct probe_config *cfg, struct conn_key *key, struct conn_info *conn,
					     __u8 direction, __u64 position, __u64 len, __u64 source, bool iovec,
					     __u64 segments, __u64 source_skip, bool kernel_iovec, __u64 flags, bool filled)
{
	__u32 zero = 0;
	struct payload_cursor *c = bpf_map_lookup_elem(&cursors, &zero);
	if (!c)
		return;
	/* A call of a head and a large body: learn the body's extent before deciding what to copy. */
	if ((len > cfg->max_body + HEAD_LOOK_THRESHOLD || filled) && (!iovec || source_skip == 0))
		learn_body(iovec ? source : source + source_skip, iovec, kernel_iovec, len, position, key, conn, direction,
			   cfg->max_body);
	/* Bytes of a skip range: a prefix of the call, or its tail when the range begins inside it and outlasts it. */
	__u64 skipped = 0, copy_end = len;
	struct skip_key skey = {.tgid = key->tgid, .fd = key->fd, .direction = direction};
	struct skip_range *range = bpf_map_lookup_elem(&skips, &skey);
	if (range && range->generation == conn->generation && range->until > position &&
	    range->from < position + len) {
		if (range->from <= position)
			skipped = range->until - position < len ? range->until - position : len;
		else if (range->until >= position + len)
			copy_end = range->from - position;
	}
	emit_marker(position, skipped, flags, MARKER_SKIPPED);
	c->done = skipped;
	c->limit = copy_end;
	c->tail_skip = len - copy_end;
	if (c->limit > skipped + cfg->max_capture_per_call)
		c->limit = skipped + cfg->max_capture_per_call;
	c->wanted = source_skip + skipped;
	c->segment = 0;
	c->segments = iovec ? segments : 0;
	c->kernel_iovec = kernel_iovec;
	c->source = source;
	c->base = source;
	c->left = iovec ? 0 : len + source_skip;

	copy_payload(position, len, flags);
}

/*
 * Copies `len` bytes that moved at stream `position`, reading them from `source` after passing over `source_skip` bytes
 * of it. `source` is a flat user buffer (iovec == false) or an array of `segments` struct iovec, in user memory or,
 * for kprobe mode, in kernel memory (kernel_iovec: the kernel copies the array before tcp_sendmsg). Records are cut at
 * MAX_RECORD_DATA; whatever the caps leave behind is counted and announced by a marker saying why. `uncopied` (enum
 * marker_reason, MARKER_NONE to copy) says the whole call cannot be copied: sendfile, or an unreadable msghdr or iterator.
 */
static __always_inline void emit_payload(struct probe_config *cfg, struct conn_key *key, struct conn_info *conn,
					 __u8 direction, __u64 position, __u64 len, __u64 call_size, __u64 source,
					 bool iovec, __u64 segments, __u64 source_skip, __u32 tid, __u8 uncopied,
					 bool kernel_iovec, bool filled)
{
	__u32 zero = 0;
	struct event_buffer *buf = bpf_map_lookup_elem(&scratch, &zero);
	struct payload_cursor *c = bpf_map_lookup_elem(&cursors, &zero);
	if (!buf || !c)
		return;
	/* The record header every chunk shares; copy_payload and flush_record fill in position and data. */
	__builtin_memset(&buf->header, 0, sizeof(buf->header));
	fill_identity(&buf->header, EVENT_DATA, key, conn, tid);
	buf->header.direction = direction;
	buf->header.call_size = call_size;
	fill_loss(&buf->header, key, conn);
	__u64 flags = ring_flags(cfg, len + sizeof(struct probe_event));
	c->call_size = call_size;
	c->sent = 0;
	c->lost = 0;
	if (uncopied != MARKER_NONE)
		emit_marker(position, len, flags, uncopied);
	else
		copy_from_source(cfg, key, conn, direction, position, len, source, iovec, segments, source_skip,
				 kernel_iovec, flags, filled);
	/* What this call's records said of earlier losses is said; what it lost itself is for the next record. */
	if (c->sent)
		conn->loss = 0;
	if (c->lost)
		conn->loss |= direction == DIRECTION_EGRESS ? LOSS_EGRESS : LOSS_INGRESS;
}

/* ---- TLS: connections that carry TLS, and the TLS libraries' plaintext ------------------------------------------ */

/*
 * Uprobes on a TLS library's read/write calls (SSL_read, SSL_write and their _ex forms in OpenSSL and its kin) see the
 * plaintext; the connection it belongs to is found without reading the library's private structures:
 *  1. a socket call the same thread makes inside the TLS call names the fd (socket BIO: OpenSSL reads and writes the
 *     socket itself), and the SSL pointer is remembered with it for calls served from OpenSSL's buffer;
 *  2. else the SSL pointer's remembered fd;
 *  3. else, for a call that moved plaintext, the socket the thread last read from, pinned to the SSL pointer from then
 *     on (memory BIO, as Node.js uses: the event loop reads the ciphertext from the socket, then asks the library for
 *     the plaintext, on one thread; a client's first write follows the read that ended its handshake). Never for a
 *     handshake call or one that moved nothing: those run when a connection is accepted, before it was read from.
 * Handshake calls are probed too, so the socket calls inside them are known to carry ciphertext.
 */
enum tls_op {
	TLS_OP_WRITE = 0, /* = DIRECTION_EGRESS */
	TLS_OP_READ = 1,  /* = DIRECTION_INGRESS */
	TLS_OP_HANDSHAKE = 2,
};

/* A TLS library call in progress on a thread, from its uprobe to its uretprobe. */
struct tls_call {
	__u64 ssl;      /* the library's connection object (SSL *): only its address is used */
	__u64 buffer;   /* the plaintext */
	__u64 out_size; /* SSL_read_ex/SSL_write_ex: where the byte count goes (size_t *); 0 for the int-returning forms */
	__u32 tgid;
	__u32 tid;
	__s32 fd;       /* socket a syscall inside this call used; -1 none */
	__u8 op;        /* enum tls_op */
	__u8 library;   /* the attach cookie */
};

struct tls_socket_key {
	__u32 tgid;
	__u32 pad;
	__u64 ssl;
};

/*
 * The socket an SSL object was last seen on, and the generation of the connection there then (0: not traced). A freed
 * SSL object's address comes back for a new connection: an entry whose connection has since closed or changed
 * generation is stale, and ignored.
 */
struct tls_socket {
	__s32 fd;
	__u32 pad;
	__u64 generation;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* global pid_tgid */
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tls_socket_key);
	__type(value, struct tls_socket);
} tls_sockets SEC(".maps");

/* Last TCP socket each thread of a traced process read from outside a TLS call (rule 3 above). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* global pid_tgid */
	__type(value, __s32);
} thread_sockets SEC(".maps");

/*
 * A socket call on TCP socket fd, traced or filtered out (a filtered socket must not leave a traced one as the thread's
 * last socket, or plaintext could be put on the wrong connection). When it runs inside a TLS library call, returns
 * that call (whose socket it now is), else NULL.
 */
static __always_inline struct tls_call *note_socket_for_tls(int fd, __u8 direction)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &pid_tgid);
	if (call) {
		call->fd = fd;
		return call;
	}
	if (direction == DIRECTION_INGRESS) {
		/*
		 * In place when the thread has an entry: an LRU hash update always takes a fresh element from the free list
		 * and unlinks the old one (~80-100 ns more per read than this lookup, measured with bpf_stats under nginx +
		 * wrk). Only the thread itself writes its entry.
		 */
		__s32 *last = bpf_map_lookup_elem(&thread_sockets, &pid_tgid);
		if (last) {
			if (*last != fd)
				*last = fd;
		} else {
			__s32 value = fd;
			bpf_map_update_elem(&thread_sockets, &pid_tgid, &value, BPF_ANY);
		}
	}
	return NULL;
}

/* The first bytes of a call's payload (flat buffer, or first iovec segment) are a TLS record header. */
static __always_inline bool starts_with_tls_record(struct call_state *state)
{
	__u64 base = state->buffer;
	if (state->kind == CALL_MSGHDR) {
		struct user_msghdr msg = {};
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)base))
			return false;
		base = (__u64)msg.msg_iov;
	}
	if (state->kind == CALL_MSGHDR || state->kind == CALL_IOVEC) {
		struct iovec vec = {};
		if (bpf_probe_read_user(&vec, sizeof(vec), (void *)base) || vec.iov_len < 3)
			return false;
		base = (__u64)vec.iov_base;
	} else if (state->kind != CALL_BUFFER) {
		return false;
	}
	__u8 head[3] = {};
	if (bpf_probe_read_user(head, sizeof(head), (void *)base))
		return false;
	/* content type change_cipher_spec, alert, handshake or application_data; version 3.x (SSL 3.0 .. TLS 1.3) */
	return head[0] >= 0x14 && head[0] <= 0x17 && head[1] == 0x03 && head[2] <= 0x04;
}

/*
 * The connection turns out to carry TLS: a new generation starts, announced with its TLS state, at stream positions 0.
 * User space ends the previous generation (what it saw before the TLS was known) as the fd's predecessor.
 */
static __always_inline void start_tls_generation(struct probe_config *cfg, struct conn_key *key, struct conn_info *conn,
						 __u8 tls, __u8 library, __u32 tid)
{
	conn->generation = bpf_ktime_get_ns();
	conn->position[DIRECTION_EGRESS] = 0;
	conn->position[DIRECTION_INGRESS] = 0;
	conn->tls = tls;
	conn->tls_library = library;
	struct sock *sk = tcp_sock_of_fd(key->fd);
	if (sk)
		announce_conn(cfg, key, conn, sk, tid);
}

/*
 * Is this socket call's payload ciphertext? True on a connection known to carry TLS, for a call made inside a TLS library
 * call, and for a connection's first bytes in a direction that start with a TLS record header (a library the probes do
 * not reach: a TLS_CIPHERTEXT generation starts). Ciphertext is neither copied nor counted in the stream positions.
 */
static __always_inline bool carries_tls(struct call_state *state, struct conn_info *conn, struct conn_key *key,
					__u8 direction)
{
	if (conn->tls != TLS_NONE)
		return true;
	struct probe_config *cfg = get_config();
	if (!cfg || !(cfg->flags & CONFIG_TLS))
		return false;
	if (state->in_tls_call) {
		start_tls_generation(cfg, key, conn, TLS_HANDSHAKE, state->tls_library, state->tid);
		return true;
	}
	if (conn->position[direction] != 0 || !starts_with_tls_record(state))
		return false;
	start_tls_generation(cfg, key, conn, TLS_CIPHERTEXT, 0, state->tid);
	return true;
}

static __always_inline int enter_tls_call(struct pt_regs *ctx, __u8 op, bool ex)
{
	struct probe_config *cfg = get_config();
	if (!cfg || !(cfg->flags & CONFIG_TLS))
		return 0;
	__u64 ids = visible_ids(cfg);
	if (!process_traced(cfg, ids >> 32))
		return 0;
	struct tls_call call = {};
	call.ssl = PT_REGS_PARM1(ctx);
	call.buffer = PT_REGS_PARM2(ctx);
	call.out_size = ex ? PT_REGS_PARM4(ctx) : 0;
	call.tgid = ids >> 32;
	call.tid = (__u32)ids;
	call.fd = -1;
	call.op = op;
	call.library = bpf_get_attach_cookie(ctx);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&tls_calls, &pid_tgid, &call, BPF_ANY);
	return 0;
}

static __always_inline __u64 current_generation(__u32 tgid, int fd)
{
	struct conn_key key = {.tgid = tgid, .fd = fd};
	struct conn_info *conn = bpf_map_lookup_elem(&conns, &key);
	return conn ? conn->generation : 0;
}

static __always_inline void remember_tls_socket(struct tls_call *call, int fd)
{
	struct tls_socket_key key = {.tgid = call->tgid, .ssl = call->ssl};
	struct tls_socket value = {.fd = fd, .generation = current_generation(call->tgid, fd)};
	bpf_map_update_elem(&tls_sockets, &key, &value, BPF_ANY);
}

/*
 * The socket behind a TLS call (rules 1-3 above), remembered for the SSL pointer; -1 when unknown. `moved`: the call
 * moved plaintext (rule 3 applies to those only).
 */
static __always_inline int tls_call_socket(struct tls_call *call, __u64 pid_tgid, bool moved)
{
	int fd = call->fd;
	if (fd < 0) {
		struct tls_socket_key key = {.tgid = call->tgid, .ssl = call->ssl};
		struct tls_socket *known = bpf_map_lookup_elem(&tls_sockets, &key);
		if (known && known->generation == current_generation(call->tgid, known->fd))
			return known->fd;
		__s32 *last = moved ? bpf_map_lookup_elem(&thread_sockets, &pid_tgid) : NULL;
		if (!last)
			return -1;
		fd = *last;
	}
	remember_tls_socket(call, fd);
	return fd;
}

/* A TLS call returns: its plaintext (the count from the return value, or from *out_size for the _ex forms) is copied. */
static __always_inline int exit_tls_call(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tls_call *in_progress = bpf_map_lookup_elem(&tls_calls, &pid_tgid);
	if (!in_progress)
		return 0;
	struct tls_call call = *in_progress;
	bpf_map_delete_elem(&tls_calls, &pid_tgid);
	struct probe_config *cfg = get_config();
	if (!cfg)
		return 0;
	/* int: the upper half of the return register is undefined (a -1 may read as 4294967295) */
	int ret = (int)PT_REGS_RC(ctx);
	__u64 bytes = 0;
	if (call.out_size) {
		if (ret == 1 && bpf_probe_read_user(&bytes, sizeof(bytes), (void *)call.out_size))
			bytes = 0;
	} else if (ret > 0) {
		bytes = ret;
	}
	bool moved = call.op != TLS_OP_HANDSHAKE && bytes > 0;
	int fd = tls_call_socket(&call, pid_tgid, moved);
	if (!moved)
		return 0;
	if (fd < 0) {
		count(COUNTER_TLS_NO_SOCKET, 1);
		return 0;
	}
	struct conn_key key = {.tgid = call.tgid, .fd = fd};
	struct conn_info *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return 0; /* not traced: filtered out, or not a TCP socket */
	if (conn->tls != TLS_PLAINTEXT || conn->tls_library != call.library) {
		start_tls_generation(cfg, &key, conn, TLS_PLAINTEXT, call.library, call.tid);
		remember_tls_socket(&call, fd); /* with the new generation */
	}
	__u8 direction = call.op & 1;
	__u64 position = __sync_fetch_and_add(&conn->position[direction], bytes);
	emit_payload(cfg, &key, conn, direction, position, bytes, bytes, call.buffer, false, 0, 0, call.tid, MARKER_NONE,
		     false, false);
	return 0;
}

/*
 * A process that execs may carry a TLS library in its executable (or load one) that no uprobe covers yet: user space
 * looks at it at once instead of at its next scan. Woken at once: the process is starting and will soon talk.
 */
SEC("tracepoint/sched/sched_process_exec")
int tls_exec(void *ctx)
{
	struct probe_config *cfg = get_config();
	if (!cfg || !(cfg->flags & CONFIG_TLS))
		return 0;
	__u64 ids = visible_ids(cfg);
	if (!process_traced(cfg, ids >> 32))
		return 0;
	struct probe_event e = {};
	e.timestamp_ns = bpf_ktime_get_ns();
	e.tgid = ids >> 32;
	e.tid = (__u32)ids;
	e.fd = -1;
	e.kind = EVENT_EXEC;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	if (bpf_ringbuf_output(&events, &e, sizeof(e), BPF_RB_FORCE_WAKEUP))
		count(COUNTER_RINGBUF_FULL_RECORDS, 1);
	return 0;
}

/* Attached per library file by user space (capture.tls.TlsAttacher), symbol by symbol; the cookie names the library. */
SEC("uprobe")
int tls_write_enter(struct pt_regs *ctx) { return enter_tls_call(ctx, TLS_OP_WRITE, false); }
SEC("uprobe")
int tls_write_ex_enter(struct pt_regs *ctx) { return enter_tls_call(ctx, TLS_OP_WRITE, true); }
SEC("uprobe")
int tls_read_enter(struct pt_regs *ctx) { return enter_tls_call(ctx, TLS_OP_READ, false); }
SEC("uprobe")
int tls_read_ex_enter(struct pt_regs *ctx) { return enter_tls_call(ctx, TLS_OP_READ, true); }
SEC("uprobe")
int tls_handshake_enter(struct pt_regs *ctx) { return enter_tls_call(ctx, TLS_OP_HANDSHAKE, false); }
SEC("uretprobe")
int tls_call_exit(struct pt_regs *ctx) { return exit_tls_call(ctx); }

/* ---- syscall entry: remember what the call is about -------------------------------------------------------------- */

static __always_inline int remember_call(__u8 kind, __u8 direction, int fd, __u64 buffer, __u64 iov_count,
					 __u64 size, __u64 msg_flags)
{
	struct probe_config *cfg = get_config();
	if (!cfg)
		return 0;
	__u64 ids = visible_ids(cfg);
	__u32 tgid = ids >> 32;
	if (!process_traced(cfg, tgid))
		return 0;
	struct tls_call *tls_call = NULL;
	if (kind != CALL_ACCEPT && kind != CALL_CONNECT) {
		/* Only calls on sockets we track (or newly find) are worth remembering. */
		struct conn_key key = {.tgid = tgid, .fd = fd};
		bool tcp = false;
		bool tracked = find_conn(cfg, &key, (__u32)ids, &tcp) != NULL;
		if ((cfg->flags & CONFIG_TLS) && tcp)
			tls_call = note_socket_for_tls(fd, direction); /* filtered sockets too: see there */
		if (!tracked)
			return 0;
	}
	/* Keyed by the global thread id: unique whatever namespace the thread is in. */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_state state = {};
	state.tgid = tgid;
	state.tid = (__u32)ids;
	state.buffer = buffer;
	state.fd = fd;
	state.iov_count = iov_count;
	state.size = size;
	state.kind = kind;
	state.direction = direction;
	state.peek = (msg_flags & MSG_PEEK) != 0;
	if (tls_call) {
		state.in_tls_call = 1;
		state.tls_library = tls_call->library;
	}
	bpf_map_update_elem(&calls, &pid_tgid, &state, BPF_ANY);
	return 0;
}

#define ARG(ctx, n) ((ctx)->args[n])

/* One entry program per syscall: what the call is, which way data moves, and where its fd, buffer (or iovec array or
 * msghdr), iovec count, size asked for (flat buffers) and flags are among the syscall's arguments. */
#define ENTER(syscall, kind, direction, buffer, iov_count, size, flags)                                            \
	SEC("tracepoint/syscalls/sys_enter_" #syscall)                                                              \
	int enter_##syscall(struct trace_event_raw_sys_enter *ctx)                                                  \
	{                                                                                                           \
		return remember_call(kind, direction, ARG(ctx, 0), buffer, iov_count, size, flags);                 \
	}

ENTER(write, CALL_BUFFER, DIRECTION_EGRESS, ARG(ctx, 1), 0, ARG(ctx, 2), 0)
ENTER(read, CALL_BUFFER, DIRECTION_INGRESS, ARG(ctx, 1), 0, ARG(ctx, 2), 0)
ENTER(sendto, CALL_BUFFER, DIRECTION_EGRESS, ARG(ctx, 1), 0, ARG(ctx, 2), 0)
ENTER(recvfrom, CALL_BUFFER, DIRECTION_INGRESS, ARG(ctx, 1), 0, ARG(ctx, 2), ARG(ctx, 3))
ENTER(writev, CALL_IOVEC, DIRECTION_EGRESS, ARG(ctx, 1), ARG(ctx, 2), 0, 0)
ENTER(readv, CALL_IOVEC, DIRECTION_INGRESS, ARG(ctx, 1), ARG(ctx, 2), 0, 0)
ENTER(sendmsg, CALL_MSGHDR, DIRECTION_EGRESS, ARG(ctx, 1), 0, 0, 0)
ENTER(recvmsg, CALL_MSGHDR, DIRECTION_INGRESS, ARG(ctx, 1), 0, 0, ARG(ctx, 2))
ENTER(sendfile64, CALL_SENDFILE, DIRECTION_EGRESS, 0, 0, 0, 0)
ENTER(accept, CALL_ACCEPT, DIRECTION_INGRESS, 0, 0, 0, 0)
ENTER(accept4, CALL_ACCEPT, DIRECTION_INGRESS, 0, 0, 0, 0)
ENTER(connect, CALL_CONNECT, DIRECTION_EGRESS, 0, 0, 0, 0)

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	struct probe_config *cfg = get_config();
	if (!cfg)
		return 0;
	__u64 ids = visible_ids(cfg);
	struct conn_key key = {.tgid = ids >> 32, .fd = (int)ARG(ctx, 0)};
	struct conn_info *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return 0;
	__u32 zero = 0;
	struct event_buffer *buf = bpf_map_lookup_elem(&scratch, &zero);
	if (buf) {
		struct probe_event *e = &buf->header;
		__builtin_memset(e, 0, sizeof(*e));
		fill_identity(e, EVENT_CLOSE, &key, conn, (__u32)ids);
		fill_loss(e, &key, conn);
		e->position = conn->position[DIRECTION_EGRESS];
		e->call_size = conn->position[DIRECTION_INGRESS];
		if (bpf_ringbuf_output(&events, e, sizeof(*e), ring_flags(cfg, sizeof(*e)))) {
			count(COUNTER_RINGBUF_FULL_RECORDS, 1);
			/* Kept for user space to collect, final positions included. */
			struct lost_close lost = {.generation = conn->generation,
						  .egress = e->position,
						  .ingress = e->call_size,
						  .timestamp_ns = e->timestamp_ns,
						  .tid = e->tid,
						  .loss = e->loss};
			bpf_map_update_elem(&lost_closes, &key, &lost, BPF_ANY);
		}
	}
	bpf_map_delete_elem(&conns, &key);
	struct skip_key skey = {.tgid = key.tgid, .fd = key.fd, .direction = DIRECTION_EGRESS};
	bpf_map_delete_elem(&skips, &skey);
	skey.direction = DIRECTION_INGRESS;
	bpf_map_delete_elem(&skips, &skey);
	return 0;
}

/* ---- syscall exit: account (and in tracepoint mode copy) what moved ---------------------------------------------- */

static __always_inline void finish_connection_setup(struct probe_config *cfg, struct call_state *state, long ret)
{
	struct conn_key key = {.tgid = state->tgid};
	__u8 role;
	if (state->kind == CALL_ACCEPT) {
		if (ret < 0)
			return;
		key.fd = ret;
		role = ROLE_SERVER;
	} else {
		if (ret < 0 && ret != -EINPROGRESS)
			return;
		key.fd = state->fd;
		role = ROLE_CLIENT;
	}
	struct sock *sk = tcp_sock_of_fd(key.fd);
	if (!sk || !sock_passes_filters(cfg, sk))
		return;
	/*
	 * A non-blocking connect() is often called again once the socket is writable, to learn how it went (APR, so ab,
	 * does): the same connection, already announced, still without a byte. Announcing it again would cost a record and
	 * a generation for nothing.
	 */
	struct conn_info *known = bpf_map_lookup_elem(&conns, &key);
	if (known && role == ROLE_CLIENT && known->role == ROLE_CLIENT && known->position[DIRECTION_EGRESS] == 0 &&
	    known->position[DIRECTION_INGRESS] == 0)
		return;
	open_conn(cfg, &key, sk, role, state->tid);
}

/*
 * The connection a call moved len bytes on, or NULL when it is not traced. Advances that direction's position past the
 * bytes (copied or not, so positions stay exact) and says where they start.
 */
static __always_inline struct conn_info *claim_bytes(struct call_state *state, __u8 direction, __u64 len,
						     struct conn_key *key, __u64 *position)
{
	key->tgid = state->tgid;
	key->fd = state->fd;
	struct conn_info *conn = bpf_map_lookup_elem(&conns, key);
	if (!conn || carries_tls(state, conn, key, direction))
		return NULL;
	*position = __sync_fetch_and_add(&conn->position[direction], len);
	return conn;
}

/* A read or recvfrom that got every byte it asked for (see HEAD_LOOK_MIN_BUFFER), from its first byte on. */
static __always_inline bool filled_buffer(struct call_state *state, __u64 already, __u64 len)
{
	return state->direction == DIRECTION_INGRESS && state->size >= HEAD_LOOK_MIN_BUFFER && already == 0 &&
	       len == state->size;
}

/* Tracepoint mode: copy what the return value says moved. */
static __always_inline void copy_moved(struct probe_config *cfg, struct call_state *state, long ret, __u8 kind)
{
	if (ret <= 0 || state->peek || state->kind != kind)
		return;
	__u8 direction = state->direction & 1;
	struct conn_key key = {};
	__u64 position = 0;
	struct conn_info *conn = claim_bytes(state, direction, ret, &key, &position);
	if (!conn)
		return;
	if (kind == CALL_BUFFER) {
		emit_payload(cfg, &key, conn, direction, position, ret, ret, state->buffer, false, 0, 0, state->tid,
			     MARKER_NONE, false, filled_buffer(state, 0, ret));
	} else if (kind == CALL_IOVEC) {
		emit_payload(cfg, &key, conn, direction, position, ret, ret, state->buffer, true, state->iov_count, 0,
			     state->tid, MARKER_NONE, false, false);
	} else {
		struct user_msghdr msg = {};
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)state->buffer) == 0)
			emit_payload(cfg, &key, conn, direction, position, ret, ret, (__u64)msg.msg_iov, true,
				     msg.msg_iovlen, 0, state->tid, MARKER_NONE, false, false);
		else
			emit_payload(cfg, &key, conn, direction, position, ret, ret, 0, false, 0, 0, state->tid,
				     MARKER_UNREADABLE, false, false);
	}
}

/* sendfile, accept, connect: bookkeeping only, in both modes. */
static __always_inline void finish_bookkeeping(struct probe_config *cfg, struct call_state *state, long ret)
{
	if (state->kind == CALL_ACCEPT || state->kind == CALL_CONNECT) {
		finish_connection_setup(cfg, state, ret);
	} else if (state->kind == CALL_SENDFILE && ret > 0) {
		/* File bytes never pass through user memory: count them so the body's extent stays exact. */
		struct conn_key key = {};
		__u64 position = 0;
		struct conn_info *conn = claim_bytes(state, DIRECTION_EGRESS, ret, &key, &position);
		if (conn)
			emit_payload(cfg, &key, conn, DIRECTION_EGRESS, position, ret, ret, 0, false, 0, 0, state->tid,
				     MARKER_SENDFILE, false, false);
	}
}

/*
 * A syscall exit: act on what the entry remembered for this thread, then forget it. copy_kind is the call kind whose
 * payload this exit copies (tracepoint mode), or 0 for the bookkeeping exits of sendfile, accept and connect. It is a
 * constant at every call site, so each program keeps only its own branch.
 */
static __always_inline int exit_call(struct trace_event_raw_sys_exit *ctx, __u8 copy_kind)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_state *state = bpf_map_lookup_elem(&calls, &pid_tgid);
	if (!state)
		return 0;
	struct probe_config *cfg = get_config();
	if (cfg && copy_kind)
		copy_moved(cfg, state, ctx->ret, copy_kind);
	else if (cfg)
		finish_bookkeeping(cfg, state, ctx->ret);
	bpf_map_delete_elem(&calls, &pid_tgid);
	return 0;
}

/* Kprobe mode: the kprobes copied the payload; the exit only drops what the entry remembered. */
static __always_inline int forget_call(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&calls, &pid_tgid);
	return 0;
}

/*
 * Data exits come in two sets, loaded per mode so the verifier never checks code that cannot run: copy_exit_* for
 * tracepoint mode, forget_exit_* for kprobe mode. The bookkeeping exits below serve both.
 */
#define DATA_EXIT(syscall, kind)                                                                                     \
	SEC("tracepoint/syscalls/sys_exit_" #syscall)                                                               \
	int copy_exit_##syscall(struct trace_event_raw_sys_exit *ctx) { return exit_call(ctx, kind); }              \
	SEC("tracepoint/syscalls/sys_exit_" #syscall)                                                               \
	int forget_exit_##syscall(struct trace_event_raw_sys_exit *ctx) { return forget_call(); }

DATA_EXIT(write, CALL_BUFFER)
DATA_EXIT(read, CALL_BUFFER)
DATA_EXIT(sendto, CALL_BUFFER)
DATA_EXIT(recvfrom, CALL_BUFFER)
DATA_EXIT(writev, CALL_IOVEC)
DATA_EXIT(readv, CALL_IOVEC)
DATA_EXIT(sendmsg, CALL_MSGHDR)
DATA_EXIT(recvmsg, CALL_MSGHDR)

SEC("tracepoint/syscalls/sys_exit_sendfile64")
int exit_sendfile64(struct trace_event_raw_sys_exit *ctx) { return exit_call(ctx, 0); }
SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx) { return exit_call(ctx, 0); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx) { return exit_call(ctx, 0); }
SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx) { return exit_call(ctx, 0); }

/* ---- kprobe mode: payload straight from the socket layer's iov_iter ---------------------------------------------- */

static __always_inline void snapshot_iter(struct iov_iter *iter, struct iter_snapshot *snap)
{
	snap->shape = ITER_SHAPE_NONE;
	if (bpf_core_field_exists(iter->iter_type)) {
		__u8 type = BPF_CORE_READ(iter, iter_type);
		if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
		    type == bpf_core_enum_value(enum iter_type, ITER_UBUF)) {
			snap->shape = ITER_SHAPE_UBUF;
			snap->base = (__u64)BPF_CORE_READ(iter, ubuf);
		} else if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
			snap->shape = ITER_SHAPE_IOVEC;
			if (bpf_core_field_exists(iter->__iov))
				snap->base = (__u64)BPF_CORE_READ(iter, __iov);
			else
				snap->base = (__u64)BPF_CORE_READ((struct iov_iter___pre_6_4 *)iter, iov);
		}
		snap->offset = BPF_CORE_READ(iter, iov_offset);
		snap->segments = BPF_CORE_READ(iter, nr_segs);
	} else {
		struct iov_iter___pre_5_14 *old = (void *)iter;
		if (BPF_CORE_READ(old, type) & ITER_IOVEC_PRE_5_14) {
			snap->shape = ITER_SHAPE_IOVEC;
			snap->base = (__u64)BPF_CORE_READ(old, iov);
			snap->offset = BPF_CORE_READ(old, iov_offset);
			snap->segments = BPF_CORE_READ(old, nr_segs);
		}
	}
}

/* Kernel-side socket calls (no syscall of ours around them) and sendfile's page-backed iterators are left alone. */
static __always_inline struct call_state *kprobe_call(__u8 direction)
{
	/* Only kprobe mode loads these programs, so no flag has to say who copies: the kprobes do. */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_state *state = bpf_map_lookup_elem(&calls, &pid_tgid);
	if (!state || state->direction != direction || state->peek)
		return NULL;
	if (state->kind != CALL_BUFFER && state->kind != CALL_IOVEC && state->kind != CALL_MSGHDR)
		return NULL;
	return state;
}

static __always_inline void emit_from_snapshot(struct call_state *state, __u64 already, __u64 len)
{
	struct probe_config *cfg = get_config();
	if (!cfg)
		return;
	__u8 direction = state->direction & 1;
	struct conn_key key = {};
	__u64 position = 0;
	struct conn_info *conn = claim_bytes(state, direction, len, &key, &position);
	if (!conn)
		return;
	struct iter_snapshot *snap = &state->iter;
	if (snap->shape == ITER_SHAPE_UBUF)
		emit_payload(cfg, &key, conn, direction, position, len, len, snap->base, false, 0,
			     snap->offset + already, state->tid, MARKER_NONE, false, filled_buffer(state, already, len));
	else if (snap->shape == ITER_SHAPE_IOVEC)
		emit_payload(cfg, &key, conn, direction, position, len, len, snap->base, true, snap->segments,
			     snap->offset + already, state->tid, MARKER_NONE, true, false);
	else
		emit_payload(cfg, &key, conn, direction, position, len, len, 0, false, 0, 0, state->tid,
			     MARKER_UNREADABLE, false, false);
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(kprobe_tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size)
{
	struct call_state *state = kprobe_call(DIRECTION_EGRESS);
	if (!state)
		return 0;
	state->sock = (__u64)sk;
	snapshot_iter(&msg->msg_iter, &state->iter);
	return 0;
}

/* The return value, not the size asked for: a non-blocking send may move only part of it. */
SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(kretprobe_tcp_sendmsg, int ret)
{
	struct call_state *state = kprobe_call(DIRECTION_EGRESS);
	if (!state || !state->sock || ret <= 0)
		return 0;
	emit_from_snapshot(state, 0, ret);
	state->sock = 0;
	return 0;
}

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(kprobe_tcp_recvmsg, struct sock *sk, struct msghdr *msg)
{
	struct call_state *state = kprobe_call(DIRECTION_INGRESS);
	if (!state)
		return 0;
	state->sock = (__u64)sk;
	state->kprobe_emitted = 0;
	snapshot_iter(&msg->msg_iter, &state->iter);
	return 0;
}

/*
 * tcp_recvmsg calls this with the running total copied so far, possibly several times per call (before it sleeps for
 * more data): emit only what is new since the last call.
 */
SEC("kprobe/tcp_cleanup_rbuf")
int BPF_KPROBE(kprobe_tcp_cleanup_rbuf, struct sock *sk, int copied)
{
	struct call_state *state = kprobe_call(DIRECTION_INGRESS);
	if (!state || state->sock != (__u64)sk || copied <= 0 || (__u64)copied <= state->kprobe_emitted)
		return 0;
	__u64 already = state->kprobe_emitted;
	emit_from_snapshot(state, already, copied - already);
	state->kprobe_emitted = copied;
	return 0;
}
