/*
 * zkinfer-nsm: passes one CBOR request to the Nitro Secure Module and prints its CBOR
 * response. Node has no ioctl(2), so the `nitro` provider (nitro.ts) runs this program
 * inside the enclave: request on stdin, response on stdout, device path as argv[1]
 * (default /dev/nsm). The message layout and limits follow aws-nitro-enclaves-nsm-api
 * (src/driver/mod.rs) and the Linux driver's uapi header (include/uapi/linux/nsm.h):
 * ioctl(fd, _IOWR(0x0A, 0, struct nsm_message)) with a request iovec of at most 0x1000
 * bytes and a response iovec of at most 0x3000 bytes, whose length the driver sets to the
 * response's size.
 *
 * Build (static, for the enclave image): cc -O2 -static -o zkinfer-nsm nsm-helper.c
 * Exit codes: 0 response written; 1 usage or I/O error; 2 device missing; 3 ioctl failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define NSM_MAGIC 0x0A
#define NSM_REQUEST_MAX_SIZE 0x1000
#define NSM_RESPONSE_MAX_SIZE 0x3000

struct nsm_message {
  struct iovec request;
  struct iovec response;
};

#define NSM_IOCTL_REQUEST _IOWR(NSM_MAGIC, 0, struct nsm_message)

static uint8_t request[NSM_REQUEST_MAX_SIZE + 1];
static uint8_t response[NSM_RESPONSE_MAX_SIZE];

int main(int argc, char **argv) {
  const char *device = argc > 1 ? argv[1] : "/dev/nsm";
  size_t length = 0;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, request + length, sizeof request - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fprintf(stderr, "cannot read the request: %s\n", strerror(errno));
      return 1;
    }
    if (n == 0) break;
    length += (size_t)n;
    if (length > NSM_REQUEST_MAX_SIZE) {
      fprintf(stderr, "request larger than %d bytes\n", NSM_REQUEST_MAX_SIZE);
      return 1;
    }
  }
  if (length == 0) {
    fprintf(stderr, "empty request on stdin\n");
    return 1;
  }
  int fd = open(device, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) fprintf(stderr, "not inside a Nitro Enclave (%s not found)\n", device);
    else fprintf(stderr, "cannot open %s: %s\n", device, strerror(errno));
    return 2;
  }
  struct nsm_message message = {
    .request = {.iov_base = request, .iov_len = length},
    .response = {.iov_base = response, .iov_len = sizeof response},
  };
  if (ioctl(fd, NSM_IOCTL_REQUEST, &message) != 0) {
    fprintf(stderr, "NSM ioctl failed: %s\n", strerror(errno));
    close(fd);
    return 3;
  }
  close(fd);
  size_t written = 0;
  while (written < message.response.iov_len) {
    ssize_t n = write(STDOUT_FILENO, response + written, message.response.iov_len - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fprintf(stderr, "cannot write the response: %s\n", strerror(errno));
      return 1;
    }
    written += (size_t)n;
  }
  return 0;
}
