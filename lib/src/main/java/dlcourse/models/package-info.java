/** Complete models built from {@link dlcourse.nn} layers, each in one file that reads top to bottom (GPT). */
package dlcourse.models;
