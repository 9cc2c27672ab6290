// -Environment: a built-in cloud, or, with Az.Accounts loaded, one Get-AzEnvironment knows.
using System.Management.Automation;

namespace BastionSession.Validation
{
    /// <summary>Accepts a built-in cloud's name or one Get-AzEnvironment knows (Clouds.CheckEnvironmentName).</summary>
    public sealed class ValidateEnvironmentAttribute : ValidateArgumentsAttribute
    {
        /// <summary>Checks the bound value.</summary>
        /// <param name="arguments">The value (a string).</param>
        /// <param name="engineIntrinsics">Unused: Az.Accounts is reached through the current runspace.</param>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            string name = arguments is PSObject ? ((PSObject)arguments).BaseObject as string : arguments as string;
            Clouds.CheckEnvironmentName(name, new AzAccounts());
        }
    }
}
