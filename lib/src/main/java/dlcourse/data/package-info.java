/** Data sets as tensors: the registry that finds files by name, loaders for the course data sets, and generators. */
package dlcourse.data;
