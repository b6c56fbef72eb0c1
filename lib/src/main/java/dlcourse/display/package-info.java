/**
 * What a notebook shows besides return values, at the bottom of the package graph so that every other package may
 * use it: {@link dlcourse.display.Display} (show and update outputs, interrupt checks), {@link dlcourse.display.Rich}
 * (objects that render themselves as HTML and text), {@link dlcourse.display.ProgressBar} and
 * {@link dlcourse.display.Tables} (result tables filled a row at a time). Depends on no other
 * dlcourse package.
 */
package dlcourse.display;
