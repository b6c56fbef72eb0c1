/** Charts and images for notebooks: training curves, bars, heatmaps, decision boundaries and image grids. */
package dlcourse.plot;
