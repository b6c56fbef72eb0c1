/** Plumbing behind {@code dlcourse.nn} (argument checks, the captured-step interface); notebooks never import it. */
package dlcourse.nn.internal;
