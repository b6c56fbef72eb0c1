/** Small helpers every package may use: argument checks. Depends on no other dlcourse package. */
package dlcourse.util;
