// SPDX-License-Identifier: GPL-2.0
/*
 * udp-flows: create COUNT distinct UDP connections through a router, each
 * with one request and one reply, as fast as the path allows.
 *
 * The client side sends hand-built IPv4/UDP packets from a raw socket in
 * the client namespace (source ports 10000..59999, then the next server
 * port), so no socket per connection is needed; the server answers from
 * ordinary UDP sockets in the server namespace.  Requests go out in
 * windows; those without a reply are sent again.  The client's kernel has
 * no socket for the replies: drop the ICMP errors it would send back.
 *
 * Usage: udp-flows -c CLIENT_NETNS -s SERVER_NETNS -a CLIENT_ADDR
 *                  -d SERVER_ADDR -n COUNT [-p FIRST_SERVER_PORT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPORT_BASE	10000
#define SPORTS		50000
#define WINDOW		128
#define MAX_SERVER_PORTS 64
#define ROUNDS		10

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	close(fd);
}

/* Echo every datagram back to its sender, forever. */
static void serve(const int *fds, unsigned int n)
{
	struct pollfd pfd[MAX_SERVER_PORTS];
	char buf[256];
	unsigned int i;

	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	for (;;) {
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++) {
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t len;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((len = recvfrom(fds[i], buf, sizeof(buf), MSG_DONTWAIT,
					       (struct sockaddr *)&from, &flen)) >= 0) {
				sendto(fds[i], buf, len, 0, (struct sockaddr *)&from, flen);
				flen = sizeof(from);
			}
		}
	}
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

struct pkt {
	struct iphdr ip;
	struct udphdr udp;
	uint32_t payload;
} __attribute__((packed));

static void send_request(int fd, struct in_addr src, struct in_addr dst,
			 uint16_t first_port, uint32_t i)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
	struct pkt p = { 0 };
	uint32_t sum;

	p.ip.version = 4;
	p.ip.ihl = 5;
	p.ip.ttl = 64;
	p.ip.protocol = IPPROTO_UDP;
	p.ip.saddr = src.s_addr;
	p.ip.daddr = dst.s_addr;
	p.ip.tot_len = htons(sizeof(p));
	p.udp.source = htons(SPORT_BASE + i % SPORTS);
	p.udp.dest = htons(first_port + i / SPORTS);
	p.udp.len = htons(sizeof(p.udp) + sizeof(p.payload));
	p.payload = htonl(i);
	/* Pseudo-header, then header and payload. */
	sum = csum_add(0, &p.ip.saddr, 8);
	sum += IPPROTO_UDP + ntohs(p.udp.len);
	sum = csum_add(sum, &p.udp, ntohs(p.udp.len));
	p.udp.check = htons(csum_fold(sum)) ?: 0xffff;

	while (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN)
			die("sendto");
		usleep(1000);
	}
}

/* Mark the replies waiting on the raw socket; returns how many were new. */
static unsigned int read_replies(int fd, uint8_t *done, uint32_t count,
				 uint16_t first_port, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned int fresh = 0;
	struct pkt p;
	ssize_t len;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	while ((len = recv(fd, &p, sizeof(p), MSG_DONTWAIT)) >= (ssize_t)sizeof(p)) {
		uint32_t sport = ntohs(p.udp.dest), dport = ntohs(p.udp.source);
		uint32_t i;

		if (sport < SPORT_BASE || sport >= SPORT_BASE + SPORTS ||
		    dport < first_port)
			continue;
		i = (dport - first_port) * SPORTS + sport - SPORT_BASE;
		if (i < count && ntohl(p.payload) == i && !done[i]) {
			done[i] = 1;
			fresh++;
		}
	}
	return fresh;
}

int main(int argc, char **argv)
{
	const char *cns = NULL, *sns = NULL;
	struct in_addr caddr = { 0 }, saddr = { 0 };
	uint16_t first_port = 7000;
	uint32_t count = 0, got = 0, i;
	int sfds[MAX_SERVER_PORTS], raw, rcv, opt, one = 1, rcvbuf = 8 << 20;
	unsigned int nports, round;
	struct timespec t0, t1;
	uint8_t *done;
	pid_t server;

	while ((opt = getopt(argc, argv, "c:s:a:d:n:p:")) != -1) {
		switch (opt) {
		case 'c': cns = optarg; break;
		case 's': sns = optarg; break;
		case 'a': inet_pton(AF_INET, optarg, &caddr); break;
		case 'd': inet_pton(AF_INET, optarg, &saddr); break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'p': first_port = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	nports = (count + SPORTS - 1) / SPORTS;
	if (!cns || !sns || !caddr.s_addr || !saddr.s_addr || !count ||
	    nports > MAX_SERVER_PORTS)
		goto usage;

	enter_netns(sns);
	for (i = 0; i < nports; i++) {
		struct sockaddr_in a = {
			.sin_family = AF_INET,
			.sin_port = htons(first_port + i),
		};

		sfds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (sfds[i] < 0 ||
		    setsockopt(sfds[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
		    bind(sfds[i], (struct sockaddr *)&a, sizeof(a)))
			die("server socket");
	}
	server = fork();
	if (server < 0)
		die("fork");
	if (!server) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		serve(sfds, nports);
	}
	for (i = 0; i < nports; i++)
		close(sfds[i]);

	enter_netns(cns);
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	rcv = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (raw < 0 || rcv < 0 ||
	    setsockopt(raw, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) ||
	    setsockopt(rcv, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("client socket");
	done = calloc(count, 1);
	if (!done)
		die("calloc");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < ROUNDS && got < count; round++) {
		unsigned int inflight = 0;

		for (i = 0; i < count; i++) {
			if (done[i])
				continue;
			send_request(raw, caddr, saddr, first_port, i);
			if (++inflight < WINDOW)
				continue;
			/* Wait for most of the window before sending more. */
			while (inflight > WINDOW / 4) {
				unsigned int fresh = read_replies(rcv, done, count,
								  first_port, 200);

				if (!fresh)
					break;
				got += fresh;
				inflight = inflight > fresh ? inflight - fresh : 0;
			}
		}
		for (;;) {
			unsigned int fresh = read_replies(rcv, done, count, first_port, 500);

			if (!fresh)
				break;
			got += fresh;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);

	printf("connections %u of %u answered in %.1f s (%u rounds)\n", got, count,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, round);
	return got == count ? 0 : 1;

usage:
	fprintf(stderr, "usage: %s -c CLIENT_NETNS -s SERVER_NETNS -a CLIENT_ADDR "
		"-d SERVER_ADDR -n COUNT [-p FIRST_SERVER_PORT]\n", argv[0]);
	return 2;
}
