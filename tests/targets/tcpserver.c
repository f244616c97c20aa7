// SPDX-License-Identifier: GPL-2.0
/*
 * A multi-threaded TCP server for the live-patch tests: THREADS workers
 * block in accept() on one listening socket on 127.0.0.1; each serves its
 * connection a line at a time: "N\n" in, answer(N) "\n" out.  Built twice,
 * -DSERVER_VERSION=1 and 2; only answer() differs, so a client can tell
 * from every response which code produced it.
 *
 *   tcpserver [THREADS [PORTFILE]]
 *
 * Listens on an ephemeral port, prints it (and writes it to PORTFILE when
 * given) once ready.  SIGTERM ends it with exit code 0, after its workers
 * have served every request they read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SERVER_VERSION
#define SERVER_VERSION 1
#endif

static int listen_fd;
static volatile sig_atomic_t stop;
/* Requests served: state that must survive patches. */
static unsigned long served;

__attribute__((noinline)) long answer(long n)
{
#if SERVER_VERSION == 1
	return 2 * n;
#else
	return 3 * n;
#endif
}

static int serve(int fd)
{
	char buf[4096], out[64];
	size_t have = 0;

	for (;;) {
		char *nl;
		ssize_t r;

		while (!(nl = memchr(buf, '\n', have))) {
			if (have == sizeof(buf))
				return -1;
			r = read(fd, buf + have, sizeof(buf) - have);
			if (r <= 0)
				return r == 0 ? 0 : -1;
			have += r;
		}
		*nl = '\0';
		r = snprintf(out, sizeof(out), "%ld\n", answer(atol(buf)));
		if (write(fd, out, r) != r)
			return -1;
		__atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
		have -= nl + 1 - buf;
		memmove(buf, nl + 1, have);
	}
}

static void *worker(void *arg)
{
	while (!stop) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd < 0) {
			if (stop)
				break;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("tcpserver: accept");
			exit(1);
		}
		serve(fd);
		close(fd);
	}
	return NULL;
}

static void on_term(int sig)
{
	stop = 1;
	/* Wake the workers blocked in accept(). */
	shutdown(listen_fd, SHUT_RDWR);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int i, nthreads = argc > 1 ? atoi(argv[1]) : 8;
	socklen_t len = sizeof(addr);
	struct sigaction sa = { .sa_handler = on_term };
	pthread_t *tid;
	FILE *f;

	if (nthreads < 1 || nthreads > 4096) {
		fprintf(stderr, "usage: tcpserver [THREADS [PORTFILE]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listen_fd, 1024) ||
	    getsockname(listen_fd, (struct sockaddr *)&addr, &len)) {
		perror("tcpserver: listen");
		return 1;
	}
	tid = calloc(nthreads, sizeof(*tid));
	if (!tid)
		return 1;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, worker, NULL)) {
			fprintf(stderr, "tcpserver: pthread_create failed\n");
			return 1;
		}
	if (argc > 2) {
		f = fopen(argv[2], "w");
		if (!f || fprintf(f, "%d\n", ntohs(addr.sin_port)) < 0 ||
		    fclose(f)) {
			perror("tcpserver: port file");
			return 1;
		}
	}
	/* No SERVER_VERSION here: only answer() may differ between builds. */
	printf("tcpserver: pid %d, port %d, %d threads\n", (int)getpid(),
	       ntohs(addr.sin_port), nthreads);
	fflush(stdout);
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	printf("tcpserver: served %lu requests\n", served);
	free(tid);
	return 0;
}
