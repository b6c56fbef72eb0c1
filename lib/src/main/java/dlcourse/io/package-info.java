/** File plumbing shared by the library and the kernel: atomic writes. Depends on no other dlcourse package. */
package dlcourse.io;
