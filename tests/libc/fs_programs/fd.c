/* Descriptors: open/write/lseek/read/pread/pwrite/ftruncate/fstat/fcntl locks/close/unlink. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *path = argv[1];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    printf("write %d\n", (int)write(fd, "hello, descriptors", 18));
    printf("lseek %ld\n", (long)lseek(fd, 7, SEEK_SET));
    char buf[32] = {0};
    printf("read %d '%s'\n", (int)read(fd, buf, sizeof buf - 1), buf);
    printf("pwrite %d\n", (int)pwrite(fd, "HELLO", 5, 0));
    memset(buf, 0, sizeof buf);
    printf("pread %d '%s'\n", (int)pread(fd, buf, 10, 0), buf);
    printf("ftruncate %d\n", ftruncate(fd, 5));
    struct stat st;
    int r = fstat(fd, &st);
    printf("fstat %d size %ld\n", r, (long)st.st_size);
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    printf("setlk %d\n", fcntl(fd, F_SETLK, &lock));
    lock.l_type = F_RDLCK;
    r = fcntl(fd, F_GETLK, &lock);
    printf("getlk %d unlocked %d\n", r, lock.l_type == F_UNLCK);
    printf("fsync %d\n", fsync(fd));
    printf("close %d\n", close(fd));
    printf("close-again %d\n", close(fd));
    printf("access %d\n", access(path, F_OK));
    printf("unlink %d\n", unlink(path));
    printf("access-after %d\n", access(path, F_OK));
    printf("open-missing %d\n", open("no/such/file", O_RDONLY));
    return 0;
}
