// SPDX-License-Identifier: GPL-2.0
/*
 * flowprime: open many UDP connections through a router with one
 * request/reply each, so that conntrack sees a reply on exactly the
 * 5-tuples pktgen floods afterwards.
 *
 *   flowprime serve PORT COUNT
 *	Echo every datagram received on ports PORT..PORT+COUNT-1 (both
 *	families).  Prints "ready" once bound; runs until killed.
 *   flowprime send DST SPORT NSPORT DPORT NDPORT
 *	Send one datagram from each source port SPORT..SPORT+NSPORT-1 to each
 *	destination port DPORT..DPORT+NDPORT-1 of DST and wait for its echo;
 *	flows whose echo is lost are retried.  Prints a JSON summary.
 *
 * A window of outstanding requests keeps the router's backlog from
 * overflowing, which would only turn into retries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WINDOW		128
#define WAIT_MS		200
#define PASSES		8

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned long parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "flowprime: invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

/*
 * Every port gets its own socket: allow need descriptors, above the hard
 * limit if need be (root; the guest's init leaves 4096).
 */
static void raise_nofile(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
}

static int udp_socket(int family, unsigned int port, int epfd, uint32_t tag)
{
	struct sockaddr_storage ss = { 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	int fd, off = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)))
			die("IPV6_V6ONLY");
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	}
	if (bind(fd, (struct sockaddr *)&ss, sizeof(ss)))
		die("bind");
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl");
	return fd;
}

static void __attribute__((noreturn)) serve(unsigned int port, unsigned int count)
{
	struct epoll_event evs[64];
	int epfd, *fds, n, i;
	unsigned int p;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	fds = calloc(count, sizeof(*fds));
	if (epfd < 0 || !fds)
		die("serve");
	for (p = 0; p < count; p++)
		fds[p] = udp_socket(AF_INET6, port + p, epfd, p);
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		n = epoll_wait(epfd, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = fds[evs[i].data.u32];
			struct sockaddr_storage from;
			socklen_t fromlen = sizeof(from);
			char buf[2048];
			ssize_t len;

			while ((len = recvfrom(fd, buf, sizeof(buf), 0,
					       (struct sockaddr *)&from, &fromlen)) >= 0) {
				sendto(fd, buf, len, 0, (struct sockaddr *)&from, fromlen);
				fromlen = sizeof(from);
			}
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct sender {
	int epfd;
	int *fds;
	uint8_t *echoed;	/* one byte per flow */
	unsigned long nechoed;
	unsigned long total;
};

/* Collect echoes; returns how many new flows were confirmed. */
static unsigned long collect(struct sender *s, int timeout_ms)
{
	struct epoll_event evs[64];
	unsigned long got = 0;
	int n, i;

	n = epoll_wait(s->epfd, evs, 64, timeout_ms);
	if (n < 0 && errno != EINTR)
		die("epoll_wait");
	for (i = 0; i < n; i++) {
		uint32_t idx;

		while (recv(s->fds[evs[i].data.u32], &idx, sizeof(idx), 0) == sizeof(idx)) {
			if (idx < s->total && !s->echoed[idx]) {
				s->echoed[idx] = 1;
				s->nechoed++;
				got++;
			}
		}
	}
	return got;
}

static int send_flows(const char *dst, unsigned int sport, unsigned int nsport,
		      unsigned int dport, unsigned int ndport)
{
	struct sockaddr_storage to = { 0 };
	struct sender s = { 0 };
	unsigned long sent = 0;
	int family, pass;
	double t0, t1;

	if (inet_pton(AF_INET, dst, &((struct sockaddr_in *)&to)->sin_addr) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, dst, &((struct sockaddr_in6 *)&to)->sin6_addr) == 1) {
		family = AF_INET6;
	} else {
		fprintf(stderr, "flowprime: invalid address '%s'\n", dst);
		return 2;
	}
	to.ss_family = family;

	s.total = (unsigned long)nsport * ndport;
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	s.fds = calloc(nsport, sizeof(*s.fds));
	s.echoed = calloc(s.total, 1);
	if (s.epfd < 0 || !s.fds || !s.echoed)
		die("send");
	for (unsigned int i = 0; i < nsport; i++)
		s.fds[i] = udp_socket(family, sport + i, s.epfd, i);

	t0 = now();
	for (pass = 0; pass < PASSES && s.nechoed < s.total; pass++) {
		unsigned long inflight = 0;

		for (uint32_t idx = 0; idx < s.total; idx++) {
			unsigned int port = dport + idx % ndport;

			if (s.echoed[idx])
				continue;
			if (family == AF_INET)
				((struct sockaddr_in *)&to)->sin_port = htons(port);
			else
				((struct sockaddr_in6 *)&to)->sin6_port = htons(port);
			if (sendto(s.fds[idx / ndport], &idx, sizeof(idx), 0,
				   (struct sockaddr *)&to, sizeof(to)) == sizeof(idx))
				sent++;
			inflight++;
			while (inflight >= WINDOW) {
				unsigned long got = collect(&s, WAIT_MS);

				/* Nothing came back in time: count the rest as lost. */
				inflight = got ? inflight - (got < inflight ? got : inflight) : 0;
			}
		}
		while (inflight && s.nechoed < s.total) {
			unsigned long got = collect(&s, WAIT_MS);

			inflight = got ? inflight - (got < inflight ? got : inflight) : 0;
		}
	}
	t1 = now();

	printf("{\"flows\": %lu, \"echoed\": %lu, \"sent\": %lu, \"passes\": %d, \"seconds\": %.3f}\n",
	       s.total, s.nechoed, sent, pass, t1 - t0);
	return s.nechoed == s.total ? 0 : 1;
}

int main(int argc, char **argv)
{
	/* A socket per port, and a few more. */
	raise_nofile(65536 + 16);
	if (argc == 4 && !strcmp(argv[1], "serve"))
		serve(parse_num(argv[2], 65535), parse_num(argv[3], 65536));
	if (argc == 7 && !strcmp(argv[1], "send"))
		return send_flows(argv[2], parse_num(argv[3], 65535), parse_num(argv[4], 65536),
				  parse_num(argv[5], 65535), parse_num(argv[6], 65536));
	fprintf(stderr, "usage: flowprime serve PORT COUNT\n"
			"       flowprime send DST SPORT NSPORT DPORT NDPORT\n");
	return 2;
}
