/** SameDiff plumbing behind {@code dlcourse.nn}; may change without notice. Notebooks never import it. */
package dlcourse.nn.internal;
