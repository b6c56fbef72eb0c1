/** The dlcourse Jupyter kernel (JShell in-process), its renderers, magics and the headless notebook runner. */
package dlcourse.kernel;
